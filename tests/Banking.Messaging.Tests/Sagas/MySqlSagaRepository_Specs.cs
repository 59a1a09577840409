using Banking.Messaging.Outbox;
using Banking.Messaging.Sagas;
using Banking.Messaging.Tests.Support;
using Banking.Testing;
using MassTransit;

namespace Banking.Messaging.Tests.Sagas;

/// <summary>
/// The MySQL saga repository on real MariaDB: each event locks its instance (SELECT ... FOR UPDATE), so
/// concurrent events run one after another; behind the outbox the instance, the inbox and the saga's messages
/// commit or roll back together.
/// </summary>
[TestFixture]
public sealed class MySqlSagaRepository_Specs() : BackOfficeSpecs("msg_saga")
{
    [Test]
    public async Task Fifty_concurrent_payments_for_one_batch_are_all_counted_one_after_another()
    {
        var queue = NewQueue("batches");
        await StartBatchesAsync(queue);
        await StartBatchesAsync(queue);
        var batchId = await OpenBatchAsync(queue);

        var payments = Enumerable.Range(0, 50).Select(_ => NewId.NextGuid()).ToList();
        await Task.WhenAll(payments.Select(p => Counterparty.SendAsync(queue, new PaymentAdded(batchId, p), NewId.NextGuid())));

        await Eventually.HoldsAsync(() => Task.FromResult(Counterparty.Of<BatchTotalChanged>(batchId.ToString()).Count >= 50), "an event per payment", TimeSpan.FromSeconds(60),
            async () => $"count {(await Database.BatchAsync(batchId))?.PaymentCount}");
        await StopNodesAsync();
        await SettleAsync();

        var totals = Counterparty.Of<BatchTotalChanged>(batchId.ToString()).Select(o => ((BatchTotalChanged)o.Message).PaymentCount).Order().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((await Database.BatchAsync(batchId))!.PaymentCount, Is.EqualTo(50), "an increment was lost");
            // Each event saw the total the previous one committed: no two ran on the same snapshot.
            Assert.That(totals, Is.EqualTo(Enumerable.Range(1, 50)));
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    [Test]
    public async Task Fifty_concurrent_payments_are_counted_also_when_the_repository_runs_its_own_transactions()
    {
        var queue = NewQueue("batches");
        await StartBatchesAsync(queue, behindOutbox: false);
        await StartBatchesAsync(queue, behindOutbox: false);
        var batchId = await OpenBatchAsync(queue);

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Counterparty.SendAsync(queue, new PaymentAdded(batchId, NewId.NextGuid()), NewId.NextGuid())));

        await Eventually.HoldsAsync(() => Counterparty.Of<BatchTotalChanged>(batchId.ToString()).Count >= 50, "an event per payment", TimeSpan.FromSeconds(60));
        await StopNodesAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await Database.BatchAsync(batchId))!.PaymentCount, Is.EqualTo(50), "an increment was lost");
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    [Test]
    public async Task An_event_that_publishes_and_then_fails_rolls_back_the_saga_change_and_the_message()
    {
        var queue = NewQueue("batches");
        await StartBatchesAsync(queue);
        var batchId = await OpenBatchAsync(queue);
        await Counterparty.SendAsync(queue, new PaymentAdded(batchId, NewId.NextGuid()), NewId.NextGuid());
        await Eventually.HoldsAsync(async () => (await Database.BatchAsync(batchId))?.PaymentCount == 1, "the first payment counted");

        var faultyPayment = NewId.NextGuid();
        var faultyMessage = NewId.NextGuid();
        await Counterparty.SendAsync(queue, new FaultyPaymentAdded(batchId, faultyPayment), faultyMessage);
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue + "_error") == 1, "the faulty payment in the error queue");
        await SettleAsync();

        var fault = await Broker.PeekHeadersAsync(queue + "_error");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fault["MT-Fault-Message"], Does.Contain("cannot be settled"));
            Assert.That((await Database.BatchAsync(batchId))!.PaymentCount, Is.EqualTo(1), "the failed event's change was kept");
            Assert.That(Counterparty.Of<BatchTotalChanged>(batchId.ToString()).Where(o => ((BatchTotalChanged)o.Message).PaymentId == faultyPayment), Is.Empty,
                "the failed event's message was delivered");
            Assert.That(await Database.OutboxRowsOfAsync(faultyMessage), Is.Zero);
            Assert.That(await Database.InboxRowsOfAsync(faultyMessage), Is.Zero);
        }
    }

    [Test]
    public async Task The_same_event_delivered_several_times_is_applied_once()
    {
        var queue = NewQueue("batches");
        await StartBatchesAsync(queue);
        await StartBatchesAsync(queue);
        var batchId = await OpenBatchAsync(queue);
        var payment = NewId.NextGuid();
        var messageId = NewId.NextGuid();

        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Counterparty.SendAsync(queue, new PaymentAdded(batchId, payment), messageId)));
        await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(messageId) == 1, "the payment consumed and delivered");
        await Counterparty.SendAsync(queue, new PaymentAdded(batchId, payment), messageId);
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "every copy taken");
        await StopNodesAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await Database.BatchAsync(batchId))!.PaymentCount, Is.EqualTo(1));
            Assert.That(Counterparty.Of<BatchTotalChanged>(batchId.ToString()), Has.Count.EqualTo(1));
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero);
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    [Test]
    public async Task An_event_for_an_unknown_batch_creates_no_row_and_is_faulted_or_dropped_as_configured()
    {
        var queue = NewQueue("batches");
        await StartBatchesAsync(queue);
        var unknownForPayment = NewId.NextGuid();
        var unknownForAudit = NewId.NextGuid();
        var unknownForDefault = NewId.NextGuid();
        var paymentMessage = NewId.NextGuid();

        await Counterparty.SendAsync(queue, new PaymentAdded(unknownForPayment, NewId.NextGuid()), paymentMessage);
        await Counterparty.SendAsync(queue, new BatchAudited(unknownForAudit), NewId.NextGuid());
        await Counterparty.SendAsync(queue, new FaultyPaymentAdded(unknownForDefault, NewId.NextGuid()), NewId.NextGuid());
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue + "_error") == 1, "the payment for an unknown batch faulted");
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "every message taken");
        await StopNodesAsync();
        await SettleAsync();

        var fault = await Broker.PeekHeadersAsync(queue + "_error");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fault["MT-Fault-ExceptionType"], Does.Contain("SagaException"));
            Assert.That(fault["MT-Fault-Message"], Does.Contain("not found"));
            Assert.That(await Database.BatchAsync(unknownForPayment), Is.Null);
            Assert.That(await Database.BatchAsync(unknownForAudit), Is.Null);
            Assert.That(await Database.BatchAsync(unknownForDefault), Is.Null);
            // Only the payment: the discarded audit and the event without a rule were acknowledged without effect.
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.EqualTo(1));
            Assert.That(await Broker.ReadyAsync(queue + "_skipped"), Is.Zero);
            Assert.That(await Database.InboxRowsOfAsync(paymentMessage), Is.Zero, "the inbox remembers a faulted message");
        }
    }

    [Test]
    public async Task Two_opening_events_racing_for_one_batch_create_one_instance()
    {
        var queue = NewQueue("batches");
        await StartBatchesAsync(queue);
        await StartBatchesAsync(queue);
        var batchIds = Enumerable.Range(0, 10).Select(_ => NewId.NextGuid()).ToList();

        await Task.WhenAll(batchIds.SelectMany(b => Enumerable.Range(0, 2).Select(_ => Counterparty.SendAsync(queue, new BatchOpened(b), NewId.NextGuid()))));
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "every opening taken");
        await StopNodesAsync();

        using (Assert.EnterMultipleScope())
        {
            foreach (var batchId in batchIds)
            {
                Assert.That(await Database.CountAsync("settlement_batch", "batch_id = @b", ("@b", batchId.ToString())), Is.EqualTo(1));
                Assert.That((await Database.BatchAsync(batchId))!.CurrentState, Is.EqualTo("Open"));
            }

            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero, "a losing opening was faulted instead of retried onto the winner's row");
        }
    }

    private Task<MessagingNode> StartBatchesAsync(string queue, bool behindOutbox = true) =>
        StartNodeAsync(
            bus => bus.AddSagaStateMachine<SettlementBatchStateMachine, SettlementBatchState>().MySqlRepository<SettlementBatchState, BackOfficeDbContext>(),
            (context, cfg) => cfg.ReceiveEndpoint(queue, e =>
            {
                // As the orchestrator does: a losing insert of a new instance is retried onto the winner's row.
                e.UseMessageRetry(r => r.Immediate(5));
                if (behindOutbox) e.UseTransactionalOutbox<BackOfficeDbContext>(context);
                e.ConfigureSaga<SettlementBatchState>(context);
            }));

    private async Task<Guid> OpenBatchAsync(string queue)
    {
        var batchId = NewId.NextGuid();
        await Counterparty.SendAsync(queue, new BatchOpened(batchId), NewId.NextGuid());
        await Eventually.HoldsAsync(async () => (await Database.BatchAsync(batchId))?.CurrentState == "Open", "the batch opened");
        return batchId;
    }
}
