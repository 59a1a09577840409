using Banking.Messaging.Tests.Support;
using Banking.Testing;
using MassTransit;

namespace Banking.Messaging.Tests.Outbox;

/// <summary>
/// The inbox: one effect per message id and consumer, however often and however concurrently the message comes;
/// every copy acknowledged; a message without an id refused.
/// </summary>
[TestFixture]
public sealed class Inbox_Specs() : BackOfficeSpecs("msg_inbox")
{
    [Test]
    public async Task The_same_message_id_delivered_twice_is_applied_once_and_both_copies_are_acknowledged()
    {
        var queue = NewQueue("notes");
        var node = await StartDeskAsync(queue);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        await Counterparty.SendAsync(queue, new RecordNote(reference, "first copy"), commandId);
        await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 1, "the first copy consumed and delivered");
        await Counterparty.SendAsync(queue, new RecordNote(reference, "second copy"), commandId);
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "the second copy taken");
        await node.StopAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1));
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), "the consumer ran for the duplicate");
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Has.Count.EqualTo(1), "the duplicate produced a second event");
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero, "a copy was left unacknowledged");
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero, "a copy was faulted");
        }
    }

    [Test]
    public async Task A_duplicate_arriving_while_the_first_copy_is_still_in_its_transaction_waits_and_has_no_effect()
    {
        var queue = NewQueue("notes");
        await StartDeskAsync(queue);
        await StartDeskAsync(queue);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        await Task.WhenAll(
            Counterparty.SendAsync(queue, new RecordNote(reference, "copy one", NoteTwist.HoldBeforeCommit), commandId),
            Counterparty.SendAsync(queue, new RecordNote(reference, "copy two", NoteTwist.HoldBeforeCommit), commandId));
        await Desk.HasPublishedAsync(reference).WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "both copies taken by the nodes");

        // Both copies are in flight; the second must be waiting on the first one's inbox row, not consuming.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), "the second copy ran while the first was uncommitted");

        Desk.OpenGate(reference);
        await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 1, "the message consumed and delivered");
        await Eventually.HoldsAsync(async () => await Database.OutboxRowsOfAsync(commandId) == 0, "the outbox emptied");
        await StopNodesAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1));
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1));
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Has.Count.EqualTo(1));
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero);
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    [Test]
    public async Task Copies_of_many_messages_sent_at_once_are_each_applied_once()
    {
        var queue = NewQueue("notes");
        await StartDeskAsync(queue);
        await StartDeskAsync(queue);
        var references = Enumerable.Range(0, 20).Select(i => $"{NewReference()}-{i}").ToList();
        var ids = references.ToDictionary(r => r, _ => NewId.NextGuid());

        await Task.WhenAll(references.SelectMany(r => Enumerable.Range(0, 3).Select(copy =>
            Counterparty.SendAsync(queue, new RecordNote(r, $"copy {copy}"), ids[r]))));

        await Eventually.HoldsAsync(() => references.All(r => Counterparty.Of<NoteRecorded>(r).Count >= 1), "an event for every message");
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "every copy taken");
        await StopNodesAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            foreach (var reference in references)
            {
                Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1), reference);
                Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), reference);
                Assert.That(Counterparty.Of<NoteRecorded>(reference), Has.Count.EqualTo(1), reference);
            }

            Assert.That(await Broker.ReadyAsync(queue), Is.Zero);
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    [Test]
    public async Task A_message_without_a_message_id_is_refused_with_a_reason_and_has_no_effect()
    {
        var queue = NewQueue("notes");
        await StartDeskAsync(queue);
        var reference = NewReference();

        await Broker.SendWithoutMessageIdAsync(queue, new { reference, text = "no id", twist = 0 }, nameof(RecordNote));
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue + "_error") == 1, "the message in the error queue");
        await SettleAsync();

        var fault = await Broker.PeekHeadersAsync(queue + "_error");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fault["MT-Fault-Message"], Does.Contain("without a MessageId"));
            Assert.That(Desk.VisitsOf("desk", reference), Is.Zero, "the consumer ran for a message it cannot deduplicate");
            Assert.That(await Database.NotesAsync(reference), Is.Zero);
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Is.Empty);
        }
    }

    [Test]
    public async Task Each_consumer_and_endpoint_applies_the_same_message_id_once()
    {
        // Two consumers on one queue, and the first of them again on a second queue: three inboxes.
        var desks = NewQueue("notes");
        var branch = NewQueue("notes");
        var node = await StartDeskAsync(desks, withArchive: true);
        var branchNode = await StartDeskAsync(branch);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        foreach (var copy in new[] { "first", "second" })
        {
            await Counterparty.SendAsync(desks, new RecordNote(reference, copy), commandId);
            await Counterparty.SendAsync(branch, new RecordNote(reference, copy), commandId);
        }

        await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 3, "three inboxes consumed and delivered");
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(desks) + await Broker.ReadyAsync(branch) == 0, "every copy taken");
        await node.StopAsync();
        await branchNode.StopAsync();
        await SettleAsync();

        var writers = Counterparty.Of<NoteRecorded>(reference).Select(o => ((NoteRecorded)o.Message).WrittenBy).Order().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(writers, Is.EqualTo(new[] { $"archive@{desks}", $"desk@{branch}", $"desk@{desks}" }.Order()));
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(3));
            Assert.That(await Database.InboxRowsOfAsync(commandId), Is.EqualTo(3));
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(2));
            Assert.That(Desk.VisitsOf("archive", reference), Is.EqualTo(1));
            Assert.That(await Broker.ReadyAsync(desks + "_error") + await Broker.ReadyAsync(branch + "_error"), Is.Zero);
        }
    }

    [Test]
    public async Task Two_instances_on_one_queue_apply_every_message_of_a_burst_with_duplicates_exactly_once()
    {
        const int Messages = 200;
        var queue = NewQueue("burst");
        await StartDeskAsync(queue);
        await StartDeskAsync(queue);
        var prefix = NewReference();
        var commands = Enumerable.Range(0, Messages).Select(i => (Reference: $"{prefix}-{i:D3}", Id: NewId.NextGuid())).ToList();

        // Every fourth message twice, all sent at once, so copies of one id meet on both instances.
        var sends = commands.Concat(commands.Where((_, i) => i % 4 == 0))
            .Select(c => Counterparty.SendAsync(queue, new RecordNote(c.Reference, "burst"), c.Id));
        await Task.WhenAll(sends);

        await Eventually.HoldsAsync(
            () => Counterparty.All<NoteRecorded>().Count(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)) >= Messages,
            "an event for every message",
            TimeSpan.FromSeconds(60));
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "every copy taken");
        await StopNodesAsync();
        await SettleAsync();

        var events = Counterparty.All<NoteRecorded>().Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Database.NotesLikeAsync(prefix), Is.EqualTo(Messages));
            Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(DISTINCT reference) FROM note WHERE reference LIKE @p", ("@p", prefix + "%")), Is.EqualTo(Messages));
            Assert.That(events, Has.Count.EqualTo(Messages));
            Assert.That(events.Select(e => e.Key).Distinct().Count(), Is.EqualTo(Messages));
            Assert.That(commands.Sum(c => Desk.VisitsOf("desk", c.Reference)), Is.EqualTo(Messages));
            Assert.That(await Database.CountAsync("outbox_message"), Is.Zero, "undelivered events left in the outbox");
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero);
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }
}
