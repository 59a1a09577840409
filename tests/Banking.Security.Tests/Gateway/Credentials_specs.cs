using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Security.Tests.Gateway;

/// <summary>
/// Issue 15, items 11 and 12: a customer token plus a channel API key moved money out of another customer's
/// account (the key silently won); a token valid for ten years, or without any expiry, was accepted.
/// </summary>
public sealed class Credentials_specs
{
    private const string Customer = "C9101";
    private const string OtherCustomer = "C9102";

    private GatewayHost gateway = null!;

    [OneTimeSetUp]
    public async Task Start() => gateway = await GatewayHost.SharedAsync();

    private static string Reference() => "CRD" + Guid.NewGuid().ToString("N")[..20];

    private HttpClient WithBoth(string bearer, string apiKey)
    {
        var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    [Test]
    public async Task A_customer_token_beside_a_channel_API_key_is_refused_as_ambiguous_and_moves_nothing()
    {
        var foreign = gateway.Responder.AddAccount(Ledger.Debit, 800m, clientNo: OtherCustomer);
        var own = gateway.Responder.AddAccount(Ledger.Credit, 0m, clientNo: Customer);
        using var client = WithBoth(GatewayHost.Token(Roles.Customer, Customer), GatewayHost.ChannelApiKey);
        var reference = Reference();

        using var response = await client.PostTransfer(new { from_account = foreign, to_account = own, amount = 700.00m, currency = "CNY", reference });

        var error = await response.Error(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("not both"));
            Assert.That(gateway.Responder.RequestsSeen(reference), Is.Zero, "nothing was published");
            Assert.That(gateway.Responder.BalanceOf(foreign), Is.EqualTo(800m));
            Assert.That(gateway.Responder.BalanceOf(own), Is.EqualTo(0m));
        });
    }

    [Test]
    public async Task Two_credentials_that_would_each_be_admitted_are_still_refused()
    {
        var account = gateway.Responder.AddAccount(Ledger.Debit, 1m, clientNo: Customer);
        using var client = WithBoth(GatewayHost.Token(Roles.Channel), GatewayHost.ChannelApiKey);
        using var response = await client.GetAsync($"/api/v1/account/{account}/balance");
        await response.Error(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Test]
    public async Task A_token_valid_for_ten_years_is_401()
    {
        var account = gateway.Responder.AddAccount(Ledger.Debit, 1m);
        using var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            GatewayHost.Token(Roles.Channel, lifetime: TimeSpan.FromDays(3652), notBefore: DateTime.UtcNow.AddMinutes(-1)));

        using var response = await client.GetAsync($"/api/v1/account/{account}/balance");
        await response.Error(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Test]
    public async Task A_token_that_says_it_was_issued_just_now_but_expires_in_ten_years_is_401_even_without_nbf_and_iat()
    {
        var account = gateway.Responder.AddAccount(Ledger.Debit, 1m);
        using var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SignedToken(expires: DateTime.UtcNow.AddYears(10)));

        using var response = await client.GetAsync($"/api/v1/account/{account}/balance");
        await response.Error(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Test]
    public async Task A_token_without_an_expiry_is_401()
    {
        var account = gateway.Responder.AddAccount(Ledger.Debit, 1m);
        using var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SignedToken(expires: null));

        using var response = await client.GetAsync($"/api/v1/account/{account}/balance");
        await response.Error(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Test]
    public async Task A_token_within_the_cap_is_still_admitted()
    {
        var account = gateway.Responder.AddAccount(Ledger.Debit, 1m);
        using var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Token(Roles.Channel, lifetime: TimeSpan.FromHours(23)));
        using var response = await client.GetAsync($"/api/v1/account/{account}/balance");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    /// <summary>Signed with the gateway's key, right issuer and audience, no nbf and no iat; <paramref name="expires"/> null leaves out exp.</summary>
    private static string SignedToken(DateTime? expires)
    {
        var claims = new ClaimsIdentity([
            new Claim(BankingClaims.Subject, "long-lived"), new Claim(BankingClaims.Name, "long-lived"), new Claim(BankingClaims.Role, Roles.Channel),
        ]);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = GatewayHost.Issuer,
            Audience = GatewayHost.Audience,
            Subject = claims,
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(GatewayHost.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
