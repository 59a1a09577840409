using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Banking.ServiceDefaults;
using Banking.Testing;
using MySqlConnector;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace Banking.Security.Tests.Servers;

/// <summary>
/// Issue 18, part 4: TLS on every hop. Private servers started with <c>servers.sh up --tls</c> and the four services as
/// <c>platform.sh --tls</c> runs them: a transfer goes end to end over TLS only, every server refuses plain text, and a
/// client that does not trust the local CA is refused as well (so validation is on, not merely encryption).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Tls_specs
{
    private const string Source = SecuredPlatform.Source;
    private const string Destination = SecuredPlatform.Destination;

    private PrivateServers servers = null!;
    private readonly List<ServiceProcess> services = [];
    private ServerCertificates bankCa = null!;

    private ServiceProcess Gateway => services.Single(s => s.DllPath.EndsWith("Banking.Gateway.dll", StringComparison.Ordinal));

    [OneTimeSetUp]
    public async Task StartThePlatformWithTls()
    {
        servers = await PrivateServers.StartAsync("tls-specs", tls: true);
        bankCa = new ServerCertificates(ServerCertificates.Load(servers.CertificateAuthority));
        foreach (var project in new[] { "Banking.DebitService", "Banking.CreditService", "Banking.Orchestrator", "Banking.Gateway" })
            services.Add(new ServiceProcess(project, await servers.ServiceEnvironmentAsync(project)));
        // The ledgers migrate and seed the demo accounts first; then the orchestrator and the gateway.
        await Task.WhenAll(services.Take(2).Select(s => s.StartAsync(TimeSpan.FromSeconds(120))));
        await Task.WhenAll(services.Skip(2).Select(s => s.StartAsync(TimeSpan.FromSeconds(120))));
    }

    [OneTimeTearDown]
    public async Task StopThePlatformAndItsServers()
    {
        foreach (var service in services) await service.DisposeAsync();
        if (servers is not null) await servers.DisposeAsync();
    }

    [Test]
    public async Task A_transfer_posted_over_https_to_the_gateway_completes_and_moves_the_money()
    {
        Assert.That(Gateway.BaseAddress.Scheme, Is.EqualTo("https"));
        var debitBefore = await BalanceAsync(servers.Ledger1, Source);
        var creditBefore = await BalanceAsync(servers.Ledger2, Destination);

        var reference = $"TLS-{Guid.NewGuid():N}"[..24];
        using var http = Gateway.CreateClient(TimeSpan.FromSeconds(30));
        http.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.Issue("channel", signingKey: servers.Secret("jwt-signing-key")));
        using (var posted = await http.PostAsJsonAsync("/api/v1/transfer", new
        {
            from_account = Source, to_account = Destination, amount = 12.34m, currency = "CNY", description = "tls spec", reference,
        }))
            Assert.That((int)posted.StatusCode, Is.EqualTo(200).Or.EqualTo(202), await posted.Content.ReadAsStringAsync());

        // A 202 answers before the saga has saved the transfer: until then its status is 404, which is "not yet".
        await Eventually.HoldsAsync(async () =>
        {
            using var status = await http.GetAsync($"/api/v1/transfer/{reference}");
            return status.IsSuccessStatusCode && (await status.Content.ReadAsStringAsync()).Contains("\"SUCCESS\"");
        }, $"transfer {reference} completed");

        Assert.That(await BalanceAsync(servers.Ledger1, Source), Is.EqualTo(debitBefore - 12.34m));
        Assert.That(await BalanceAsync(servers.Ledger2, Destination), Is.EqualTo(creditBefore + 12.34m));
    }

    [Test]
    public async Task The_gateway_sends_HSTS_over_https_in_Production()
    {
        // The HSTS middleware leaves localhost and 127.0.0.1 out on purpose; a bank's host name gets the header. By hand,
        // because HttpClient would check the certificate against that Host header instead of the address dialled.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Gateway.Port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1", RemoteCertificateValidationCallback = bankCa.Validate });
        await tls.WriteAsync("GET /health/live HTTP/1.1\r\nHost: api.bank.example\r\nConnection: close\r\n\r\n"u8.ToArray());
        var answer = await new StreamReader(tls).ReadToEndAsync();
        Assert.That(answer, Does.StartWith("HTTP/1.1 200").And.Contain("strict-transport-security: max-age=31536000").IgnoreCase, answer);
    }

    [Test]
    public async Task MariaDB_refuses_a_plain_text_login_and_accepts_the_same_login_over_verified_TLS()
    {
        var plain = new MySqlConnectionStringBuilder(servers.DebitLedger) { SslMode = MySqlSslMode.None }.ConnectionString;
        var refused = Assert.CatchAsync<MySqlException>(() => OpenAsync(plain));
        TestContext.Out.WriteLine($"plain: {refused!.ErrorCode} {refused.Message}");

        Assert.That(new MySqlConnectionStringBuilder(servers.DebitLedger).SslMode, Is.EqualTo(MySqlSslMode.VerifyFull));
        await OpenAsync(servers.DebitLedger);
        await using var admin = new MySqlConnection(servers.MySql1Admin);
        await admin.OpenAsync();
        await using var setting = new MySqlCommand("SELECT @@require_secure_transport", admin);
        Assert.That(Convert.ToInt32(await setting.ExecuteScalarAsync()), Is.EqualTo(1));
    }

    [Test]
    public async Task RabbitMQ_refuses_plain_AMQP_on_its_port_and_accepts_AMQPS_verified_against_the_CA()
    {
        var login = servers.DebitBroker;
        Assert.That(login.Scheme, Is.EqualTo("amqps"));
        var plain = Factory(login);
        plain.Ssl = new SslOption { Enabled = false };
        Assert.ThrowsAsync<BrokerUnreachableException>(async () => await (await plain.CreateConnectionAsync()).DisposeAsync());

        await using var verified = await Factory(login, bankCa).CreateConnectionAsync();
        Assert.That(verified.IsOpen, Is.True);
    }

    [Test]
    public async Task Redis_refuses_a_client_without_TLS_and_answers_one_that_verifies_the_CA()
    {
        var plain = ConfigurationOptions.Parse(servers.GatewayRedis);
        Assert.That(plain.Ssl, Is.True, "the endpoint asks for TLS");
        plain.Ssl = false;
        Assert.ThrowsAsync<RedisConnectionException>(() => PingAsync(plain));

        var verified = ConfigurationOptions.Parse(servers.GatewayRedis);
        verified.CertificateValidation += bankCa.Validate;
        await PingAsync(verified);
    }

    [Test]
    public async Task The_management_API_refuses_plain_HTTP_and_answers_HTTPS_verified_against_the_CA()
    {
        var (user, password) = SecuredPlatform.Credentials(servers.Management);
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.CatchAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{servers.ManagementPort}/api/overview"));

        using var verified = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = bankCa.Validate } });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{servers.ManagementPort}/api/overview");
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await verified.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public void A_client_that_does_not_trust_the_local_CA_is_refused_by_every_server_and_by_the_gateway()
    {
        // The machine's own roots, as a client that was never given ca.crt has.
        var untrusted = new MySqlConnectionStringBuilder(servers.DebitLedger) { SslCa = "" }.ConnectionString;
        Assert.CatchAsync<MySqlException>(() => OpenAsync(untrusted), "MariaDB");

        Assert.ThrowsAsync<BrokerUnreachableException>(async () => await (await Factory(servers.DebitBroker).CreateConnectionAsync()).DisposeAsync(), "RabbitMQ");

        Assert.ThrowsAsync<RedisConnectionException>(() => PingAsync(ConfigurationOptions.Parse(servers.GatewayRedis)), "Redis");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var management = Assert.CatchAsync<HttpRequestException>(() => http.GetAsync($"https://127.0.0.1:{servers.ManagementPort}/api/overview"), "management API");
        Assert.That(management!.InnerException, Is.InstanceOf<AuthenticationException>());
        var gateway = Assert.CatchAsync<HttpRequestException>(() => http.GetAsync(new Uri(Gateway.BaseAddress, "/health/live")), "gateway");
        Assert.That(gateway!.InnerException, Is.InstanceOf<AuthenticationException>());
    }

    private static ConnectionFactory Factory(Uri login, ServerCertificates? trust = null)
    {
        var factory = new ConnectionFactory { Uri = login, RequestedConnectionTimeout = TimeSpan.FromSeconds(10), AutomaticRecoveryEnabled = false };
        if (trust is not null) factory.Ssl.CertificateValidationCallback = trust.Validate;
        return factory;
    }

    private static async Task OpenAsync(string connectionString)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync();
    }

    private static async Task PingAsync(ConfigurationOptions options)
    {
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 0;
        options.ConnectTimeout = 5000;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        await connection.GetDatabase().PingAsync();
    }

    private static async Task<decimal> BalanceAsync(string ledgerAdmin, string accountNo)
    {
        await using var connection = new MySqlConnection(ledgerAdmin);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(
            "SELECT b.TOTAL_AMOUNT FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY WHERE a.BASE_ACCT_NO = @no", connection);
        command.Parameters.AddWithValue("@no", accountNo);
        return Convert.ToDecimal(await command.ExecuteScalarAsync());
    }
}
