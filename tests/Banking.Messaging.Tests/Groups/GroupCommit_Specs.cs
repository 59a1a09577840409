using Banking.Messaging.Groups;
using Banking.Messaging.Tests.Support;
using Banking.Testing;
using MassTransit;

namespace Banking.Messaging.Tests.Groups;

/// <summary>
/// Group commit: messages taken together share one transaction, and one bad member costs the others a second run,
/// never their effect or their event.
/// </summary>
[TestFixture]
public sealed class GroupCommit_Specs() : BackOfficeSpecs("msg_groups")
{
    // Long enough that a burst sent at once lands in one group, so the spec is about groups and not single messages.
    private static readonly Dictionary<string, string?> CollectForAMoment = new() { ["Messaging:GroupCommit:MaxWait"] = "00:00:00.050" };

    [Test]
    public async Task A_poison_message_in_a_group_fails_alone_and_every_other_member_commits_and_is_delivered_once()
    {
        var queue = NewQueue("notes");
        using var groups = new GroupRecorder(queue);
        await StartDeskAsync(queue, retries: 1, settings: CollectForAMoment);
        var prefix = NewReference();
        var good = Enumerable.Range(0, 24).Select(i => $"{prefix}-{i:D2}").ToList();
        var poison = $"{prefix}-poison";
        var poisonId = NewId.NextGuid();

        await Task.WhenAll(good.Select(r => Counterparty.SendAsync(queue, new RecordNote(r, "good"), NewId.NextGuid()))
            .Append(Counterparty.SendAsync(queue, new RecordNote(poison, "poison", NoteTwist.FailAfterPublishing), poisonId)));
        await Eventually.HoldsAsync(() => good.All(r => Counterparty.Of<NoteRecorded>(r).Count >= 1), "an event for every good note");
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue + "_error") == 1, "the poison message in the error queue");
        await StopNodesAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(groups.Largest, Is.GreaterThan(1), "no group of several messages formed: nothing here was grouped");
            Assert.That(groups.Failed, Is.GreaterThanOrEqualTo(1), "no group failed: the poison never shared a transaction");
            foreach (var reference in good)
            {
                Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1), reference);
                Assert.That(Counterparty.Of<NoteRecorded>(reference), Has.Count.EqualTo(1), reference);
            }

            Assert.That(await Database.NotesAsync(poison), Is.Zero, "the poison's note survived");
            Assert.That(Counterparty.Of<NoteRecorded>(poison), Is.Empty, "the poison's event was delivered");
            Assert.That(await Database.InboxRowsOfAsync(poisonId), Is.Zero, "the inbox remembers the poison as consumed");
            Assert.That(await Database.CountAsync("outbox_message"), Is.Zero, "undelivered events left in the outbox");
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero, "a good message was left unacknowledged");
        }
    }

    [Test]
    public async Task Copies_of_one_message_inside_one_group_are_consumed_once_counted_each_and_answered_once()
    {
        var queue = NewQueue("notes");
        using var groups = new GroupRecorder(queue);
        await StartDeskAsync(queue, settings: CollectForAMoment);
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => Counterparty.SendAsync(queue, new RecordNote(reference, $"copy {i}"), commandId)));
        await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 1, "the message consumed and delivered");
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "every copy taken");
        await StopNodesAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(groups.Largest, Is.GreaterThan(1), "the copies never met in one group");
            Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1));
            Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), "a copy ran the consumer again");
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Has.Count.EqualTo(1));
            Assert.That(await Database.ScalarAsync<long>("SELECT receive_count FROM inbox_state WHERE message_id = @m", ("@m", commandId.ToString())),
                Is.EqualTo(5), "a copy went uncounted");
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }
    [Test]
    public async Task A_consumer_saving_through_its_DbContext_behind_an_endpoint_that_writes_through_the_group_only_is_refused_with_nothing_written()
    {
        // The endpoint promises its consumers write through the group, so their DbContext is never joined to the
        // group's transaction; a consumer that saves through it anyway would commit on its own, outside the group.
        var queue = NewQueue("notes");
        await StartDeskAsync(queue, retries: 1, consumerWrites: ConsumerWrites.ThroughGroupOnly);
        var reference = NewReference();

        await Counterparty.SendAsync(queue, new RecordNote(reference, "written past the group"), NewId.NextGuid());
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue + "_error") == 1, "the message refused to the error queue");
        await StopNodesAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await Database.NotesAsync(reference), Is.Zero, "the note was committed outside the group's transaction");
            Assert.That(Counterparty.Of<NoteRecorded>(reference), Is.Empty, "its event was delivered");
            Assert.That(await Database.CountAsync("outbox_message"), Is.Zero);
        }
    }
}
