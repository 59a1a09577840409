using Banking.Testing;

namespace Banking.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Issue 16, point 2: two orchestrators on one bank_core and one broker, each with its own deadline sweeper and group
/// commit on <c>transfer-state</c>. Transfers through both finish once each; and while CreditService is away, both
/// sweepers see every overdue step, yet each timeout sends the credit again only once: the saga acts on a timeout
/// only when it names the step, attempt and deadline it waits on, and the first one moves all three.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TwoOrchestrators_Specs
{
    private TransferPlatform platform = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        platform = await TransferPlatform.StartAsync("twoorch");
        await platform.StartAnotherOrchestratorAsync();
    }

    [OneTimeTearDown]
    public async Task Stop() => await platform.DisposeAsync();


    [Test]
    public async Task Transfers_taken_by_either_orchestrator_finish_once_each()
    {
        var from = await platform.OpenAccountAsync(1, "68", 1_000.00m);
        var to = await platform.OpenAccountAsync(2, "68", 0.00m);
        var ids = Enumerable.Range(0, 40).Select(i => $"two-{i}-{Guid.NewGuid():N}").ToList();
        await Task.WhenAll(ids.Select(id => platform.SubmitAsync(id, from, to, 5.00m)));

        var finals = new List<string>();
        foreach (var id in ids) finals.Add((await platform.WaitForFinalAsync(id)).Status);

        Assert.Multiple(async () =>
        {
            Assert.That(finals, Has.All.EqualTo("SUCCESS"));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(1_000.00m - 200.00m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(200.00m));
        });
    }

    [Test]
    public async Task Both_sweepers_see_an_overdue_step_but_each_timeout_sends_it_again_once()
    {
        var from = await platform.OpenAccountAsync(1, "68", 500.00m);
        var to = await platform.OpenAccountAsync(2, "68", 0.00m);
        var id = $"swept-{Guid.NewGuid():N}";

        await platform.Credit.StopAsync();
        int resent, queued;
        try
        {
            await platform.PurgeQueueAsync("credit-ledger");
            await platform.SubmitAsync(id, from, to, 42.00m);
            await platform.WaitForStateAsync(id, "Crediting");
            // Step timeout 2 s, backoff up to 5 s, both sweepers every 0.5 s: a few timeouts in 20 s.
            await Task.Delay(TimeSpan.FromSeconds(20));

            // No more sends from here on; then the broker's figures settle (the management API refreshes every 5 s).
            await platform.Orchestrator.StopAsync();
            foreach (var other in platform.OtherOrchestrators) await other.StopAsync();
            resent = (await platform.TimelineAsync(id)).Count(e => e.EventType == "StepResent");
            await Task.Delay(TimeSpan.FromSeconds(7));
            queued = await platform.QueueDepthAsync("credit-ledger");
        }
        finally
        {
            await platform.Orchestrator.StartAsync();
            foreach (var other in platform.OtherOrchestrators) await other.StartAsync();
            await platform.Credit.StartAsync();
        }

        var transfer = await platform.WaitForFinalAsync(id);
        Assert.Multiple(async () =>
        {
            Assert.That(resent, Is.GreaterThanOrEqualTo(2), "the step timed out several times");
            Assert.That(queued, Is.EqualTo(1 + resent), "the first send and one per timeout, not one per sweeper");
            Assert.That(transfer.Status, Is.EqualTo("SUCCESS"));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(42.00m), "credited once");
        });
    }
}
