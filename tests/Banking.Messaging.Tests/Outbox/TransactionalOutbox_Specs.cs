using Banking.Messaging.Tests.Support;
using Banking.Testing;
using MassTransit;

namespace Banking.Messaging.Tests.Outbox;

/// <summary>
/// What a consumer publishes is stored with its business change and reaches the broker only after both committed;
/// a rollback takes both away; a delivery cut short after commit is completed without consuming again.
/// </summary>
[TestFixture]
public sealed class TransactionalOutbox_Specs() : BackOfficeSpecs("msg_outbox")
{
    [Test]
    public async Task Nothing_a_consumer_publishes_reaches_the_broker_before_its_transaction_commits()
    {
        var queue = NewQueue("notes");
        await StartDeskAsync(queue);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        await Counterparty.SendAsync(queue, new RecordNote(reference, "held before commit", NoteTwist.HoldBeforeCommit), commandId);
        await Desk.HasPublishedAsync(reference).WaitAsync(TimeSpan.FromSeconds(30));

        // Publish has returned and the consumer sits before commit. A publish that went straight to the broker
        // would reach the counterparty within milliseconds; this is many times that.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Is.Empty, "the event reached the broker before commit");
            Assert.That(await Database.NotesAsync(reference), Is.Zero, "the note is visible before commit");
            Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.Zero, "the outbox row is visible before commit");
        }

        var opened = DateTime.UtcNow;
        Desk.OpenGate(reference);
        await Eventually.HoldsAsync(() => Counterparty.Of<NoteRecorded>(reference).Count == 1, "the event after commit");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Counterparty.Of<NoteRecorded>(reference)[0].ReceivedUtc, Is.GreaterThanOrEqualTo(opened));
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task A_consumer_that_fails_after_publishing_leaves_neither_its_row_nor_its_event()
    {
        var queue = NewQueue("notes");
        await StartDeskAsync(queue, retries: 2);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        await Counterparty.SendAsync(queue, new RecordNote(reference, "refused", NoteTwist.FailAfterPublishing), commandId);
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue + "_error") == 1, "the refused command in the error queue");
        await SettleAsync();

        var fault = await Broker.PeekHeadersAsync(queue + "_error");
        using (Assert.EnterMultipleScope())
        {
            // Three attempts, each of which wrote the note and published before it threw.
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(3));
            Assert.That(fault["MT-Fault-Message"], Does.Contain("refused note"));
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Is.Empty, "an event of a rolled-back transaction was delivered");
            Assert.That(await Database.NotesAsync(reference), Is.Zero, "the note survived the rollback");
            Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.Zero, "the outbox row survived the rollback");
            Assert.That(await Database.InboxRowsOfAsync(commandId), Is.Zero, "the inbox remembers a message whose effect was rolled back");
        }
    }

    [Test]
    public async Task The_business_change_and_its_event_commit_together_and_the_event_is_delivered_once()
    {
        var queue = NewQueue("notes");
        var node = await StartDeskAsync(queue);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        await Counterparty.SendAsync(queue, new RecordNote(reference, "plain"), commandId);
        await Eventually.HoldsAsync(() => Counterparty.Of<NoteRecorded>(reference).Count == 1, "the event");
        await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 1, "the inbox row marked delivered");
        await Eventually.HoldsAsync(async () => await Database.OutboxRowsOfAsync(commandId) == 0, "the delivered outbox row removed");
        await node.StopAsync();
        await SettleAsync();

        var observed = Counterparty.Of<NoteRecorded>(reference);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(observed, Has.Count.EqualTo(1));
            // The stored event keeps the id the consumer gave it, so a receiver's inbox recognises a re-sent copy.
            Assert.That(observed[0].MessageId, Is.EqualTo(Desk.PublishedMessageId(reference)));
            Assert.That(((NoteRecorded)observed[0].Message).WrittenBy, Is.EqualTo($"desk@{queue}"));
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1));
            Assert.That(await Database.CountAsync("outbox_message", "inbox_message_id = @m", ("@m", commandId.ToString())), Is.Zero);
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero, "the command was not acknowledged");
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    [TestCase(null, TestName = "Every event of one message is delivered once and the delivery is recorded with the rows removed (one batch)")]
    [TestCase(2, TestName = "Every event of one message is delivered once and the delivery is recorded with the rows removed (batches of two)")]
    public async Task Every_event_of_one_message_is_delivered_once_and_recorded(int? deliveryLimit)
    {
        var queue = NewQueue("notes");
        var node = await StartDeskAsync(queue, deliveryLimit: deliveryLimit);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        await Counterparty.SendAsync(queue, new RecordNote(reference, "five announcements", Announcements: 5), commandId);
        await Eventually.HoldsAsync(() => Counterparty.Of<NoteRecorded>(reference).Count >= 5, "the five events");
        await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 1, "the inbox row marked delivered");
        await node.StopAsync();
        await SettleAsync();

        var observed = Counterparty.Of<NoteRecorded>(reference);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(observed, Has.Count.EqualTo(5), "an event was lost or sent twice");
            Assert.That(observed.Select(o => o.MessageId).Distinct().Count(), Is.EqualTo(5));
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), "the command was consumed more than once");
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1));
            Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.Zero, "delivered outbox rows were left behind");
            Assert.That(await Database.ScalarAsync<long>("SELECT receive_count FROM inbox_state WHERE message_id = @m", ("@m", commandId.ToString())),
                Is.EqualTo(1), "one delivery counted as several");
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero, "the command was not acknowledged");
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    [Test]
    public async Task A_first_delivery_that_fails_after_commit_is_completed_by_the_retry_without_consuming_again()
    {
        var queue = NewQueue("notes");
        var retries = new RetryLog();
        var node = await StartDeskAsync(queue, retries: 2, retryLog: retries);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        await Counterparty.SendAsync(queue, new RecordNote(reference, "first delivery fails", NoteTwist.FailFirstDelivery), commandId);
        await Eventually.HoldsAsync(() => Counterparty.Of<NoteRecorded>(reference).Count == 1, "the event after the retry");
        await Eventually.HoldsAsync(async () => await Database.OutboxRowsOfAsync(commandId) == 0, "the delivered outbox row removed");
        await node.StopAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            // The header travelled through the outbox row and MassTransit's delivery really failed once.
            Assert.That(retries.Reasons, Has.Some.Contains("Simulated Delivery Failure"));
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), "the retry consumed the message again");
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1));
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Has.Count.EqualTo(1));
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    [Test]
    public async Task A_delivery_cut_short_after_commit_is_completed_when_the_message_comes_back()
    {
        var queue = NewQueue("notes");
        var breaker = new DispatchBreaker();
        breaker.Cut();
        await StartDeskAsync(queue, retries: 2, breaker: breaker);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        // The broker "goes away" between commit and delivery, for longer than the in-process retries last.
        await Counterparty.SendAsync(queue, new RecordNote(reference, "delivery cut short"), commandId);
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue + "_error") == 1, "the command in the error queue");
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(breaker.Refused, Is.GreaterThanOrEqualTo(1), "the delivery was never attempted");
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), "a retry consumed the message again");
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1), "the committed note is gone");
            Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.EqualTo(1), "the undelivered event is not kept in the outbox");
            Assert.That(await Database.CountAsync("inbox_state", "message_id = @m AND consumed IS NOT NULL AND delivered IS NULL", ("@m", commandId.ToString())), Is.EqualTo(1));
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Is.Empty);
        }

        // The broker is back; an operator moves the message back from the error queue, as after any outage.
        breaker.Restore();
        Assert.That(await Broker.MoveAsync(queue + "_error", queue), Is.EqualTo(1));

        await Eventually.HoldsAsync(() => Counterparty.Of<NoteRecorded>(reference).Count == 1, "the pending event delivered");
        await Eventually.HoldsAsync(async () => await Database.OutboxRowsOfAsync(commandId) == 0, "the delivered outbox row removed");
        await StopNodesAsync();
        await SettleAsync();

        var observed = Counterparty.Of<NoteRecorded>(reference);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(observed, Has.Count.EqualTo(1));
            Assert.That(observed[0].MessageId, Is.EqualTo(Desk.PublishedMessageId(reference)), "the event was sent under a new id");
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), "the redelivery consumed the message again");
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1));
            Assert.That(await Database.DeliveredInboxRowsOfAsync(commandId), Is.EqualTo(1));
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero);
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }
}
