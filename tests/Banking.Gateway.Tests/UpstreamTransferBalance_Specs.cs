using System.Net;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using Banking.Testing;

namespace Banking.Gateway.Tests;

/// <summary>
/// Issue 14, item 6: the ledgers no longer announce balance changes; the gateway drops cached balances on a transfer's
/// final outcome. Proved here on the real Orchestrator, DebitService and CreditService processes (MariaDB x2, RabbitMQ)
/// with a transfer the gateway never saw: an upstream system's, on the plain-JSON queue.
/// </summary>
[NonParallelizable]
public sealed class UpstreamTransferBalance_Specs
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
