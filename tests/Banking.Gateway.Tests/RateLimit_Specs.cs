using System.Net;
using System.Net.Http.Headers;
using Banking.Gateway.Security;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Gateway.Tests;

/// <summary>
/// A fixed window per client, counted in Redis: beyond the limit 429 RATE_LIMITED with Retry-After; other
/// clients keep their own allowance; the counter lives in Redis, so every gateway instance shares it.
/// </summary>
public sealed class RateLimit_Specs
{
    private const int Limit = 3;

    private GatewayHost gateway = null!;
    private string accountNo = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        gateway = await GatewayHost.StartAsync("gw-ratelimit", new Dictionary<string, string?>
        {
            ["RateLimit:PermitLimit"] = Limit.ToString(),
            ["RateLimit:Window"] = "00:01:00",
            // The clients below are channels; since issue 15 (item 8) they have a tier of their own.
            ["RateLimit:Roles:channel:PermitLimit"] = Limit.ToString(),
            ["RateLimit:Roles:channel:Window"] = "00:01:00",
        });
        accountNo = gateway.Responder.AddAccount(Ledger.Debit, 100m);
    }

    [OneTimeTearDown]
    public async Task Stop() => await gateway.DisposeAsync();

    /// <summary>A client of its own: the partition is the token's subject.</summary>
    private HttpClient NewClient(out string subject)
    {
        subject = "rl-" + Guid.NewGuid().ToString("N")[..12];
        var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            TokenCommand.Issue(GatewayHost.Jwt, [Roles.Channel], clientNo: null, TimeSpan.FromMinutes(10), subject));
        return client;
    }

    private Task<HttpResponseMessage> ReadBalance(HttpClient client) => client.GetAsync($"/api/v1/account/{accountNo}/balance");

    private async Task UseUpAllowance(HttpClient client)
    {
        for (var i = 1; i <= Limit; i++)
        {
            using var response = await ReadBalance(client);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"request {i} of {Limit}");
            Assert.That(response.Headers.GetValues("X-RateLimit-Remaining").Single(), Is.EqualTo((Limit - i).ToString()));
        }
    }

    [Test]
    public async Task Beyond_the_limit_a_client_gets_429_RATE_LIMITED_with_Retry_After()
    {
        using var client = NewClient(out _);
        await UseUpAllowance(client);

        using var refused = await ReadBalance(client);
        var error = await refused.Error(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.That(retryAfter, Is.Not.Null, "Retry-After in seconds");
        Assert.That(retryAfter!.Value, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromMinutes(1)), "at most the window");
        Assert.That(error.GetProperty("details").GetProperty("retry_after_seconds").GetInt64(), Is.EqualTo((long)retryAfter.Value.TotalSeconds));
    }

    [Test]
    public async Task A_refused_transfer_is_not_started()
    {
        using var client = NewClient(out _);
        await UseUpAllowance(client);

        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = "R" + Guid.NewGuid().ToString("N")[..20];
        using var refused = await client.PostTransfer(new { from_account = accountNo, to_account = to, amount = 1.00m, currency = "CNY", reference });
        await refused.Error(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        await Task.Delay(300);
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.Zero);
        Assert.That(gateway.Responder.BalanceOf(to), Is.Zero);
        // The count and the claim go to Redis in one round trip; the 429 gives the claim back.
        Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}idem:{reference}"), Is.False, "no claim is left behind");
    }

    [Test]
    public async Task Transfers_are_counted_with_their_claim_and_refused_ones_still_use_up_the_allowance()
    {
        using var client = NewClient(out var subject);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        using (var transfer = await client.PostTransfer(new { from_account = accountNo, to_account = to, amount = 1.00m, currency = "CNY" }))
        {
            Assert.That(transfer.StatusCode, Is.EqualTo(HttpStatusCode.OK), await transfer.Content.ReadAsStringAsync());
            Assert.That(transfer.Headers.GetValues("X-RateLimit-Remaining").Single(), Is.EqualTo((Limit - 1).ToString()));
        }

        // Refused before the endpoint counts them (a body that is not valid): counted all the same.
        for (var i = 0; i < Limit - 1; i++)
        {
            using var invalid = await client.PostJson("/api/v1/transfer", """{"amount":"ten"}""");
            Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }

        Assert.That((long)await gateway.Redis.GetDatabase().StringGetAsync($"{gateway.KeyPrefix}ratelimit:sub:{subject}"), Is.EqualTo(Limit), "each request counted once");
        using var refused = await ReadBalance(client);
        await refused.Error(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
    }

    [Test]
    public async Task Another_client_keeps_its_own_allowance()
    {
        using var greedy = NewClient(out _);
        await UseUpAllowance(greedy);
        using (var refused = await ReadBalance(greedy)) Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));

        using var other = NewClient(out _);
        await UseUpAllowance(other);

        // A customer is counted apart from the channels, in its own tier.
        using var customer = gateway.Client();
        customer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHost.Token(Roles.Customer, "C0001"));
        using var allowed = await ReadBalance(customer);
        Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task The_counter_is_kept_in_Redis_with_the_window_as_its_life()
    {
        using var client = NewClient(out var subject);
        await UseUpAllowance(client);
        using (var refused = await ReadBalance(client)) Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));

        var db = gateway.Redis.GetDatabase();
        var key = $"{gateway.KeyPrefix}ratelimit:sub:{subject}";
        Assert.That((long)await db.StringGetAsync(key), Is.EqualTo(Limit + 1));
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromMinutes(1)));

        // Only Redis holds the count: with the key gone (as when the window ends) the client is let through again,
        // and another instance raising the shared count refuses a client this instance has never seen.
        await db.KeyDeleteAsync(key);
        using (var again = await ReadBalance(client)) Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using var fresh = NewClient(out var freshSubject);
        await db.StringSetAsync($"{gateway.KeyPrefix}ratelimit:sub:{freshSubject}", Limit, TimeSpan.FromMinutes(1));
        using var refusedFresh = await ReadBalance(fresh);
        await refusedFresh.Error(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
    }

    [Test]
    public async Task Health_probes_are_not_counted()
    {
        using var client = NewClient(out var subject);
        for (var i = 0; i < Limit + 2; i++)
        {
            using var health = await client.GetAsync("/health/live");
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}ratelimit:sub:{subject}"), Is.False);
        await UseUpAllowance(client);
    }
}
