using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Banking.Gateway.Security;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Gateway.Tests;

/// <summary>
/// Who may call what, on every endpoint: no credentials, bad tokens and bad API keys are 401; a role the
/// endpoint does not admit is 403; a customer reaches only accounts of its own CLIENT_NO; channels and API
/// keys reach every account. Every refusal is in the seed's error format.
/// </summary>
public sealed class Authentication_Specs
{
    public enum Endpoint { ProcessTransfer, GetTransferStatus, GetAccountBalance }

    private const string OwnClient = "C7001";
    private const string OtherClient = "C7002";

    private GatewayHost gateway = null!;
    private HttpClient http = null!;

    // Accounts of OwnClient, and a finished transfer between them: every endpoint has a target the customer owns,
    // so that when a call is refused, the credentials are the only reason.
    private string ownSource = null!;
    private string ownDestination = null!;
    private string ownTransfer = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        gateway = await GatewayHost.SharedAsync();
        http = gateway.Client();
        ownSource = gateway.Responder.AddAccount(Ledger.Debit, 1_000_000m, clientNo: OwnClient);
        ownDestination = gateway.Responder.AddAccount(Ledger.Credit, 0m, clientNo: OwnClient);

        ownTransfer = Reference();
        using var channel = gateway.ClientAs(Roles.Channel);
        using var made = await channel.PostTransfer(new { from_account = ownSource, to_account = ownDestination, amount = 1.00m, currency = "CNY", reference = ownTransfer });
        Assert.That(made.StatusCode, Is.EqualTo(HttpStatusCode.OK), await made.Content.ReadAsStringAsync());
    }

    [OneTimeTearDown]
    public void Stop() => http.Dispose();

    public static IEnumerable<Endpoint> AllEndpoints => Enum.GetValues<Endpoint>();

    private static readonly string[] StaffRolesThatMayNotMoveMoney = [Roles.Operator, Roles.Auditor, Roles.Admin];

    public static IEnumerable<TestCaseData> ReadEndpointsByRole =>
        from endpoint in new[] { Endpoint.GetTransferStatus, Endpoint.GetAccountBalance }
        from role in Roles.Readers
        select new TestCaseData(endpoint, role).SetArgDisplayNames(endpoint.ToString(), role);

    private static string Reference() => "A" + Guid.NewGuid().ToString("N")[..20];

    private sealed record Credentials(string? Bearer = null, string? ApiKey = null)
    {
        public static Credentials None { get; } = new();
        public static Credentials Token(string token) => new(Bearer: token);
        public static Credentials As(string role, string? clientNo = null) => new(Bearer: GatewayHost.Token(role, clientNo));
        public static Credentials Key(string key) => new(ApiKey: key);
    }

    /// <summary>Calls an endpoint on OwnClient's accounts and transfer; for POST, returns the reference it used.</summary>
    private async Task<(HttpResponseMessage Response, string? Reference)> Call(Endpoint endpoint, Credentials credentials,
        string? source = null, string? account = null, string? transferId = null)
    {
        var reference = endpoint == Endpoint.ProcessTransfer ? Reference() : null;
        var request = endpoint switch
        {
            Endpoint.ProcessTransfer => new HttpRequestMessage(HttpMethod.Post, "/api/v1/transfer")
            {
                Content = new StringContent(JsonSerializer.Serialize(new
                {
                    from_account = source ?? ownSource, to_account = ownDestination, amount = 1.00m, currency = "CNY", reference,
                }), Encoding.UTF8, "application/json"),
            },
            Endpoint.GetTransferStatus => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/transfer/{transferId ?? ownTransfer}"),
            Endpoint.GetAccountBalance => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/account/{account ?? ownSource}/balance"),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
        };
        if (credentials.Bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credentials.Bearer);
        if (credentials.ApiKey is not null) request.Headers.Add(ApiKeyAuthenticationHandler.HeaderName, credentials.ApiKey);
        using (request) return (await http.SendAsync(request), reference);
    }

    /// <summary>A refused POST claimed nothing and published nothing: a retry with proper credentials would start afresh.</summary>
    private async Task AssertNothingStarted(string? reference)
    {
        if (reference is null) return;
        Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}idem:{reference}"), Is.False, "no idempotency claim");
        await Task.Delay(200); // a publish would have reached the responder by now
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.Zero, "nothing published");
    }

    private async Task ExpectUnauthorized(Endpoint endpoint, Credentials credentials)
    {
        var (response, reference) = await Call(endpoint, credentials);
        using (response) await response.Error(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await AssertNothingStarted(reference);
    }

    private async Task ExpectForbidden(Endpoint endpoint, Credentials credentials, string? source = null, string? account = null, string? transferId = null)
    {
        var (response, reference) = await Call(endpoint, credentials, source, account, transferId);
        using (response) await response.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
        await AssertNothingStarted(reference);
    }

    private async Task ExpectAdmitted(Endpoint endpoint, Credentials credentials, string? source = null, string? account = null, string? transferId = null)
    {
        var (response, _) = await Call(endpoint, credentials, source, account, transferId);
        using (response)
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }
    }

    // ---- 401: no or bad credentials ----

    [TestCaseSource(nameof(AllEndpoints))]
    public Task Without_credentials_every_endpoint_is_401(Endpoint endpoint) => ExpectUnauthorized(endpoint, Credentials.None);

    [TestCaseSource(nameof(AllEndpoints))]
    public Task An_expired_token_is_401(Endpoint endpoint) =>
        // Expired ten minutes ago: well beyond the 30 s of clock skew the gateway tolerates.
        ExpectUnauthorized(endpoint, Credentials.Token(GatewayHost.Token(Roles.Channel, lifetime: TimeSpan.FromMinutes(5), notBefore: DateTime.UtcNow.AddMinutes(-15))));

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_token_signed_with_another_key_is_401(Endpoint endpoint) =>
        ExpectUnauthorized(endpoint, Credentials.Token(GatewayHost.Token(Roles.Channel,
            jwt: new JwtOptions { SigningKey = "another-key-that-the-gateway-does-not-know-0123456789", Issuer = GatewayHost.Issuer, Audience = GatewayHost.Audience })));

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_token_from_another_issuer_is_401(Endpoint endpoint) =>
        // Signed with the right key: only the issuer (and audience) of the development tokens differ.
        ExpectUnauthorized(endpoint, Credentials.Token(TestTokens.Issue(Roles.Channel, signingKey: GatewayHost.SigningKey)));

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_token_for_another_audience_is_401(Endpoint endpoint) =>
        ExpectUnauthorized(endpoint, Credentials.Token(GatewayHost.Token(Roles.Channel,
            jwt: new JwtOptions { SigningKey = GatewayHost.SigningKey, Issuer = GatewayHost.Issuer, Audience = "some-other-api" })));

    [TestCaseSource(nameof(AllEndpoints))]
    public Task An_unsigned_token_is_401(Endpoint endpoint)
    {
        // alg "none": the claims of a channel, no signature at all.
        var unsigned = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = GatewayHost.Issuer,
            Audience = GatewayHost.Audience,
            Subject = new ClaimsIdentity([new Claim(BankingClaims.Subject, "forger"), new Claim(BankingClaims.Role, Roles.Channel)]),
            Expires = DateTime.UtcNow.AddMinutes(10),
        });
        return ExpectUnauthorized(endpoint, Credentials.Token(unsigned));
    }

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_bearer_that_is_not_a_token_is_401(Endpoint endpoint) => ExpectUnauthorized(endpoint, Credentials.Token("not-a-jwt"));

    // ---- 403: a role the endpoint does not admit ----

    [Test]
    public async Task Operators_auditors_and_admins_may_read_but_not_move_money()
    {
        foreach (var role in StaffRolesThatMayNotMoveMoney)
        {
            await ExpectForbidden(Endpoint.ProcessTransfer, Credentials.As(role));
        }
    }

    [TestCaseSource(nameof(ReadEndpointsByRole))]
    public Task Every_bank_role_may_read_transfers_and_balances(Endpoint endpoint, string role) =>
        ExpectAdmitted(endpoint, Credentials.As(role, role == Roles.Customer ? OwnClient : null));

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_role_the_bank_does_not_have_is_403(Endpoint endpoint) => ExpectForbidden(endpoint, Credentials.As("teller"));

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_valid_token_without_any_role_is_403(Endpoint endpoint)
    {
        var roleless = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = GatewayHost.Issuer,
            Audience = GatewayHost.Audience,
            Subject = new ClaimsIdentity([new Claim(BankingClaims.Subject, "nobody"), new Claim(BankingClaims.ClientNo, OwnClient)]),
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(GatewayHost.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
        return ExpectForbidden(endpoint, Credentials.Token(roleless));
    }

    // ---- customers: own accounts only ----

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_customer_reaches_its_own_accounts(Endpoint endpoint) => ExpectAdmitted(endpoint, Credentials.As(Roles.Customer, OwnClient));

    [Test]
    public async Task A_customer_may_not_move_money_out_of_another_clients_account()
    {
        var foreign = gateway.Responder.AddAccount(Ledger.Debit, 5000m, clientNo: OtherClient);
        await ExpectForbidden(Endpoint.ProcessTransfer, Credentials.As(Roles.Customer, OwnClient), source: foreign);
        Assert.That(gateway.Responder.BalanceOf(foreign), Is.EqualTo(5000m));
    }

    [Test]
    public async Task A_customer_gets_the_same_403_for_an_unknown_account_as_for_a_foreign_one()
    {
        // 404 here would tell a customer which account numbers exist.
        await ExpectForbidden(Endpoint.ProcessTransfer, Credentials.As(Roles.Customer, OwnClient), source: NewAccountNo());
        await ExpectForbidden(Endpoint.GetAccountBalance, Credentials.As(Roles.Customer, OwnClient), account: NewAccountNo());
    }

    [Test]
    public async Task A_customer_may_send_money_to_another_clients_account()
    {
        var foreignDestination = gateway.Responder.AddAccount(Ledger.Credit, 0m, clientNo: OtherClient);
        using var customer = gateway.ClientAs(Roles.Customer, OwnClient);
        using var response = await customer.PostTransfer(new { from_account = ownSource, to_account = foreignDestination, amount = 3.00m, currency = "CNY", reference = Reference() });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(gateway.Responder.BalanceOf(foreignDestination), Is.EqualTo(3.00m));
    }

    [Test]
    public async Task A_customer_may_not_read_another_clients_balance()
    {
        var foreign = gateway.Responder.AddAccount(Ledger.Credit, 5000m, clientNo: OtherClient);
        await ExpectForbidden(Endpoint.GetAccountBalance, Credentials.As(Roles.Customer, OwnClient), account: foreign);
        await ExpectAdmitted(Endpoint.GetAccountBalance, Credentials.As(Roles.Customer, OtherClient), account: foreign);
    }

    [Test]
    public async Task A_customer_sees_a_transfer_only_when_one_of_its_accounts_takes_part()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 100m, clientNo: OtherClient);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m, clientNo: "C7003");
        var reference = Reference();
        using (var channel = gateway.ClientAs(Roles.Channel))
        using (var made = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10.00m, currency = "CNY", reference }))
        {
            Assert.That(made.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        // Issue 15, item 13 changed this from 403: another customer's transfer is answered like an unknown one.
        var (foreign, _) = await Call(Endpoint.GetTransferStatus, Credentials.As(Roles.Customer, OwnClient), transferId: reference);
        using (foreign) await foreign.Error(HttpStatusCode.NotFound, "TRANSFER_NOT_FOUND");
        await ExpectAdmitted(Endpoint.GetTransferStatus, Credentials.As(Roles.Customer, OtherClient), transferId: reference);
        await ExpectAdmitted(Endpoint.GetTransferStatus, Credentials.As(Roles.Customer, "C7003"), transferId: reference);
    }

    // ---- channels: any account ----

    [Test]
    public async Task A_channel_reaches_every_clients_accounts()
    {
        var foreignSource = gateway.Responder.AddAccount(Ledger.Debit, 100m, clientNo: OtherClient);
        var foreignDestination = gateway.Responder.AddAccount(Ledger.Credit, 0m, clientNo: "C7003");
        await ExpectAdmitted(Endpoint.ProcessTransfer, Credentials.As(Roles.Channel), source: foreignSource);
        await ExpectAdmitted(Endpoint.GetAccountBalance, Credentials.As(Roles.Channel), account: foreignSource);
        await ExpectAdmitted(Endpoint.GetAccountBalance, Credentials.As(Roles.Channel), account: foreignDestination);
        Assert.That(gateway.Responder.BalanceOf(foreignSource), Is.EqualTo(99.00m));
    }

    // ---- API keys ----

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_configured_API_key_in_X_Api_Key_is_admitted(Endpoint endpoint) => ExpectAdmitted(endpoint, Credentials.Key(GatewayHost.ChannelApiKey));

    [TestCaseSource(nameof(AllEndpoints))]
    public Task A_revoked_API_key_is_401(Endpoint endpoint) => ExpectUnauthorized(endpoint, Credentials.Key(GatewayHost.RevokedApiKey));

    [TestCaseSource(nameof(AllEndpoints))]
    public Task An_unknown_API_key_is_401(Endpoint endpoint) => ExpectUnauthorized(endpoint, Credentials.Key("a-key-nobody-configured"));

    [Test]
    public async Task The_configured_hash_is_not_itself_a_key()
    {
        // Only SHA-256 hashes are configured; someone who reads the configuration must still not get in.
        await ExpectUnauthorized(Endpoint.GetAccountBalance, Credentials.Key(ApiKeyAuthenticationHandler.HashKey(GatewayHost.ChannelApiKey)));
        await ExpectUnauthorized(Endpoint.GetAccountBalance, Credentials.Key(ApiKeyAuthenticationHandler.HashKey(GatewayHost.ChannelApiKey).ToUpperInvariant()));
    }

    [Test]
    public async Task A_revoked_API_key_is_not_rescued_by_a_valid_token_beside_it()
    {
        // Two credentials are refused as ambiguous whatever they are; a revoked key must never pass unnoticed.
        await ExpectUnauthorized(Endpoint.GetAccountBalance, new Credentials(Bearer: GatewayHost.Token(Roles.Channel), ApiKey: GatewayHost.RevokedApiKey));
    }

    [Test]
    public async Task A_401_says_how_to_authenticate_and_names_no_internals()
    {
        var (response, _) = await Call(Endpoint.GetAccountBalance, Credentials.Token(GatewayHost.Token(Roles.Channel, lifetime: TimeSpan.FromMinutes(1), notBefore: DateTime.UtcNow.AddHours(-1))));
        using (response)
        {
            var error = await response.Error(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.That(response.Headers.WwwAuthenticate.Select(h => h.Scheme), Does.Contain("Bearer"));
            Assert.That(error.GetProperty("message").GetString(), Does.Not.Contain("IDX").And.Not.Contain("Exception"));
        }
    }
}
