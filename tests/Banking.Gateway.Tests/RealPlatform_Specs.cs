using System.Net;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using Banking.Testing;

namespace Banking.Gateway.Tests;

/// <summary>
/// The gateway on the real Orchestrator, DebitService and CreditService processes (MariaDB x2, RabbitMQ), with
/// transfers it never saw: an upstream system's, on the plain-JSON queue. Issue 14: the gateway no longer asks the
/// orchestrator whether a reference exists before it publishes (the saga refuses a conflicting request itself), and
/// the ledgers no longer announce balance changes (the gateway drops cached balances on a transfer's final outcome).
/// </summary>
[NonParallelizable]
public sealed class RealPlatform_Specs
{
    private static long nextKey = 70_000;

    private TransferPlatform platform = null!;
    private GatewayHost gateway = null!;
    private HttpClient channel = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        platform = await TransferPlatform.StartAsync("gw-upstream");
        gateway = await GatewayHost.StartAsync("gw-upstream-gateway", new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = platform.Broker.ToString(),
        }, withResponder: false);
        await gateway.WaitUntilReadyAsync();
        channel = gateway.ClientAs(Roles.Channel);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        channel.Dispose();
        await gateway.DisposeAsync();
        await platform.DisposeAsync();
    }

    private async Task<string> NewAccountAsync(int database, decimal balance)
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"78{database}{key:D10}";
        await platform.CreateAccountAsync(database, key, accountNo, balance);
        return accountNo;
    }

    private async Task<string?> BalanceAsync(string accountNo)
    {
        using var response = await channel.GetAsync($"/api/v1/account/{accountNo}/balance");
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body.Raw("balance");
    }

    private string BalanceKey(string accountNo) => $"{gateway.KeyPrefix}balance:{{{accountNo}}}";

    private static object Body(string reference, string from, string to, decimal amount) =>
        new { from_account = from, to_account = to, amount, currency = "CNY", description = "end-to-end test", reference };

    [Test]
    public async Task A_REST_request_reusing_an_upstream_reference_with_other_content_is_409_and_the_upstream_transfer_is_untouched()
    {
        var from = await NewAccountAsync(1, 10_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = $"upr-{Guid.NewGuid():N}";
        await platform.SubmitAsync(id, from, to, 100.00m);
        Assert.That((await platform.WaitForFinalAsync(id)).Status, Is.EqualTo("SUCCESS"));

        using var conflicting = await channel.PostTransfer(Body(id, from, to, 200.00m));
        var error = await conflicting.Error(HttpStatusCode.Conflict, "DUPLICATE_REFERENCE");
        // The 409 may come before the saga's refusal: the upstream transfer's TransferCompleted leaves the outbox after
        // its commit, and when it reaches the gateway's waiter first, the gateway sees an outcome that does not match
        // the request and answers the conflict itself. The saga refuses the request all the same.
        await Eventually.HoldsAsync(async () => (await platform.TimelineAsync(id)).Any(e => e.EventType == "ConflictingRequest"), "the saga recorded the conflicting request");
        Assert.Multiple(async () =>
        {
            Assert.That(error.GetProperty("details").GetProperty("transfer_id").GetString(), Is.EqualTo(id));
            Assert.That((await platform.TimelineAsync(id)).Select(e => e.EventType), Does.Contain("ConflictingRequest"), "refused by the saga");
            Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}idem:{id}"), Is.False, "the refused hash is not kept");
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(9_900.00m), "only the upstream transfer's debit");
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(100.00m));
        });

        // The same content over REST is a replay of the upstream transfer: its outcome, nothing moved again.
        using var same = await channel.PostTransfer(Body(id, from, to, 100.00m));
        var body = await same.Json();
        Assert.That(same.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        Assert.That(body.Raw("new_balance"), Is.EqualTo("9900.00"));
        Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(9_900.00m));
    }

    [Test]
    public async Task A_conflicting_request_answered_202_before_its_refusal_polls_the_owners_transfer_and_is_told_409_when_it_retries()
    {
        var from = await NewAccountAsync(1, 10_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = $"upl-{Guid.NewGuid():N}";
        await platform.SubmitAsync(id, from, to, 100.00m);
        Assert.That((await platform.WaitForFinalAsync(id)).Status, Is.EqualTo("SUCCESS"));

        // A gateway instance that waits for nothing (Gateway:SyncWaitMs 0), sharing the other's Redis keys: the refusal
        // always arrives after its answer.
        await using var impatient = await GatewayHost.StartAsync("gw-upstream-impatient", new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = platform.Broker.ToString(),
            ["Gateway:RedisKeyPrefix"] = gateway.KeyPrefix,
            ["Gateway:SyncWaitMs"] = "0",
        }, withResponder: false);
        await impatient.WaitUntilReadyAsync();
        using var hurried = impatient.ClientAs(Roles.Channel);

        using var pending = await hurried.PostTransfer(Body(id, from, to, 300.00m));
        Assert.That(pending.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await pending.Content.ReadAsStringAsync());
        await Eventually.HoldsAsync(async () => (await platform.TimelineAsync(id)).Any(e => e.EventType == "ConflictingRequest"), "the saga refused it",
            TimeSpan.FromSeconds(15));

        // The poll shows the transfer that owns the reference, as it is: not the 300.00 this client asked for.
        using var poll = await hurried.GetAsync(pending.Headers.Location);
        var status = await poll.Json();
        Assert.Multiple(() =>
        {
            Assert.That(poll.StatusCode, Is.EqualTo(HttpStatusCode.OK), status.ToString());
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("SUCCESS"));
            Assert.That(status.Raw("amount"), Is.EqualTo("100.00"));
        });

        // Retrying the POST (through the gateway that waits) gets the refusal in time.
        using var retried = await channel.PostTransfer(Body(id, from, to, 300.00m));
        await retried.Error(HttpStatusCode.Conflict, "DUPLICATE_REFERENCE");
        Assert.Multiple(async () =>
        {
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(9_900.00m), "only the upstream transfer's debit");
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(100.00m));
        });
    }

    [Test]
    public async Task A_transfer_started_on_the_upstream_queue_changes_cached_balances_and_the_next_read_shows_the_new_figures()
    {
        var from = await NewAccountAsync(1, 10_000.00m);
        var to = await NewAccountAsync(2, 5_000.00m);
        Assert.That(await BalanceAsync(from), Is.EqualTo("10000.00"));
        Assert.That(await BalanceAsync(to), Is.EqualTo("5000.00"));
        var redis = gateway.Redis.GetDatabase();
        Assert.That(await redis.KeyExistsAsync(BalanceKey(from)) && await redis.KeyExistsAsync(BalanceKey(to)), Is.True, "both balances are cached");

        var id = $"up-{Guid.NewGuid():N}";
        await platform.SubmitAsync(id, from, to, 1_250.00m);
        var transfer = await platform.WaitForFinalAsync(id);
        Assert.That(transfer.Status, Is.EqualTo("SUCCESS"));

        // The cache's TTL (5 min in GatewayHost) cannot be what ends the old entries within this wait.
        await Eventually.HoldsAsync(async () => await BalanceAsync(from) == "8750.00", "the source's new balance is read", TimeSpan.FromSeconds(15));
        await Eventually.HoldsAsync(async () => await BalanceAsync(to) == "6250.00", "the destination's new balance is read", TimeSpan.FromSeconds(15));
        Assert.Multiple(async () =>
        {
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(8_750.00m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(6_250.00m));
        });
    }
}
