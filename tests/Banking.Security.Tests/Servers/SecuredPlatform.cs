using System.Net.Http.Headers;
using System.Text;
using Banking.Testing;
using MySqlConnector;
using RabbitMQ.Client;

namespace Banking.Security.Tests.Servers;

/// <summary>
/// Servers started by deploy/local/servers.sh on free ports with a private data folder, secured as servers.sh secures
/// them, and the four services run as platform.sh runs them (Production, their own logins, the generated key). Started
/// once for every spec in this folder, because the attacks are replayed against exactly that.
/// </summary>
public sealed class SecuredPlatform
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static SecuredPlatform? current;

    private SecuredPlatform(PrivateServers servers, ServiceProcess[] services)
    {
        Servers = servers;
        Services = services;
    }

    public const string Vhost = "banking";
    public const string Source = "6230399991006371427";
    public const string Destination = "6230399991006371428";

    public PrivateServers Servers { get; }
    public ServiceProcess[] Services { get; }
    public ServiceProcess Gateway => Services.Single(s => s.DllPath.EndsWith("Banking.Gateway.dll", StringComparison.Ordinal));

    public static async Task<SecuredPlatform> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (current is not null) return current;
            var servers = await PrivateServers.StartAsync("security-specs");
            var services = new List<ServiceProcess>();
            try
            {
                foreach (var project in new[] { "Banking.DebitService", "Banking.CreditService", "Banking.Orchestrator", "Banking.Gateway" })
                    services.Add(new ServiceProcess(project, await servers.ServiceEnvironmentAsync(project)));
                // The ledgers migrate and seed the demo accounts first; then the orchestrator and the gateway.
                await Task.WhenAll(services.Take(2).Select(s => s.StartAsync(TimeSpan.FromSeconds(120))));
                await Task.WhenAll(services.Skip(2).Select(s => s.StartAsync(TimeSpan.FromSeconds(120))));
            }
            catch
            {
                foreach (var service in services) await service.DisposeAsync();
                await servers.DisposeAsync();
                throw;
            }

            return current = new SecuredPlatform(servers, [.. services]);
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task StopAsync()
    {
        if (current is null) return;
        foreach (var service in current.Services) await service.DisposeAsync();
        await current.Servers.DisposeAsync();
        current = null;
    }

    /// <summary>The ledger's balance as the administrator reads it from the database.</summary>
    public async Task<decimal> BalanceAsync(string ledgerAdmin, string accountNo)
    {
        await using var connection = new MySqlConnection(ledgerAdmin);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(
            "SELECT b.TOTAL_AMOUNT FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY WHERE a.BASE_ACCT_NO = @no", connection);
        command.Parameters.AddWithValue("@no", accountNo);
        return Convert.ToDecimal(await command.ExecuteScalarAsync());
    }

    public Task<decimal> CreditBalanceAsync() => BalanceAsync(Servers.Ledger2, Destination);

    public Task<decimal> DebitBalanceAsync() => BalanceAsync(Servers.Ledger1, Source);

    /// <summary>A management API client for <paramref name="user"/> with the password servers.sh generated for it.</summary>
    public HttpClient Management(string user, string password)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Servers.ManagementPort}/"), Timeout = TimeSpan.FromSeconds(20) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return http;
    }

    public HttpClient Management(Uri login)
    {
        var (user, password) = Credentials(login);
        return Management(user, password);
    }

    public static (string User, string Password) Credentials(Uri login)
    {
        var parts = Uri.UnescapeDataString(login.UserInfo).Split(':', 2);
        return (parts[0], parts[1]);
    }

    public static async Task<IConnection> ConnectAsync(Uri login) =>
        await new ConnectionFactory { Uri = login, RequestedConnectionTimeout = TimeSpan.FromSeconds(10) }.CreateConnectionAsync();

    /// <summary>A MassTransit envelope as the orchestrator's bus sends a ledger command.</summary>
    public static string Envelope(string messageType, string transferId, string accountNo, decimal amount) => $$$"""
        {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Banking.Contracts.Ledger:{{{messageType}}}"],
         "message":{"transferId":"{{{transferId}}}","accountNo":"{{{accountNo}}}","amount":{{{amount.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"currency":"CNY"}}
        """;
}

[SetUpFixture]
public sealed class SecuredPlatformRun
{
    [OneTimeTearDown]
    public Task StopThePlatformAndItsServers() => SecuredPlatform.StopAsync();
}
