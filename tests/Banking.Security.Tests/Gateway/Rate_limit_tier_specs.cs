using System.Net;
using System.Net.Http.Headers;
using Banking.Gateway.Security;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Security.Tests.Gateway;

/// <summary>
/// Issue 15, item 8: one limit of 100 requests a minute per token subject capped a channel app serving thousands of
/// customers at 1.7 requests/s, while a customer with several tokens had several allowances.
/// </summary>
public sealed class Rate_limit_tier_specs
{
    private const int CustomerLimit = 100;

    private GatewayHost gateway = null!;
    private string accountNo = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        // The old single limit for everyone, and the customer tier as appsettings.json ships it; the channel tier is left
        // at the shipped default.
        gateway = await GatewayHost.StartAsync("sec-ratelimit", new Dictionary<string, string?>
        {
            ["RateLimit:PermitLimit"] = "100",
            ["RateLimit:Window"] = "00:01:00",
            ["RateLimit:Roles:customer:PermitLimit"] = CustomerLimit.ToString(),
            ["RateLimit:Roles:customer:Window"] = "00:01:00",
        });
        accountNo = gateway.Responder.AddAccount(Ledger.Debit, 100m, clientNo: "C9301");
    }

    [OneTimeTearDown]
    public async Task Stop() => await gateway.DisposeAsync();

    private HttpClient Bearer(string role, string? clientNo, string subject)
    {
        var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            TokenCommand.Issue(GatewayHost.Jwt, [role], clientNo, TimeSpan.FromMinutes(10), subject));
        return client;
    }

    [Test]
    public async Task A_channel_app_is_not_held_to_100_requests_a_minute()
    {
        using var channel = Bearer(Roles.Channel, null, "sec-channel-" + Guid.NewGuid().ToString("N")[..8]);
        var refused = 0;
        long limit = 0;
        for (var i = 0; i < 250; i++)
        {
            using var response = await channel.GetAsync($"/api/v1/account/{accountNo}/balance");
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused++;
            limit = long.Parse(response.Headers.GetValues("X-RateLimit-Limit").Single());
        }

        Assert.Multiple(() =>
        {
            Assert.That(refused, Is.Zero, "250 requests in well under a minute");
            Assert.That(limit / 60.0, Is.GreaterThanOrEqualTo(1000), "the shipped channel tier allows thousands of requests per second");
        });
    }

    [Test]
    public async Task A_customer_keeps_one_limit_whichever_of_its_tokens_it_uses()
    {
        using var first = Bearer(Roles.Customer, "C9301", "client:C9301:phone");
        using var second = Bearer(Roles.Customer, "C9301", "client:C9301:browser");
        for (var i = 1; i <= CustomerLimit; i++)
        {
            using var response = await first.GetAsync($"/api/v1/account/{accountNo}/balance");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"request {i} of {CustomerLimit}");
        }

        using var refused = await second.GetAsync($"/api/v1/account/{accountNo}/balance");
        await refused.Error(HttpStatusCode.TooManyRequests, "RATE_LIMITED");

        // Another customer is not affected.
        var others = gateway.Responder.AddAccount(Ledger.Debit, 1m, clientNo: "C9302");
        using var other = Bearer(Roles.Customer, "C9302", "client:C9302");
        using var allowed = await other.GetAsync($"/api/v1/account/{others}/balance");
        Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
