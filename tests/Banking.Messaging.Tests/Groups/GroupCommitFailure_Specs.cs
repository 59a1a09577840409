using Banking.Messaging.Tests.Support;
using Banking.Testing;
using MassTransit;

namespace Banking.Messaging.Tests.Groups;

/// <summary>
/// What must hold of a group after the parts no member can be blamed for go wrong: its closing batch or its
/// connection failing before the commit, and its sends never happening after the commit.
/// </summary>
[TestFixture]
public sealed class GroupCommitFailure_Specs() : BackOfficeSpecs("msg_group_faults")
{
    private const int Members = 8;

    // The members arrive while the opener's group runs, so they form the next group together whatever the timing.
    private static readonly Dictionary<string, string?> CollectForAMoment = new() { ["Messaging:GroupCommit:MaxWait"] = "00:00:00.100" };

    [TestCase(ClosingFault.Refused, TestName = "A group whose closing batch the database refuses applies and sends nothing, and each member is then consumed and answered exactly once")]
    [TestCase(ClosingFault.ConnectionKilled, TestName = "A group whose connection is killed in its closing batch applies and sends nothing, and each member is then consumed and answered exactly once")]
    public async Task A_group_whose_closing_batch_fails_leaves_nothing_and_each_member_is_then_consumed_once(ClosingFault fault)
    {
        var queue = NewQueue("notes");
        using var groups = new GroupRecorder(queue);
        await StartDeskAsync(queue, retries: 1, settings: CollectForAMoment);
        var prefix = NewReference();
        var opener = $"{prefix}-opener";
        var members = Enumerable.Range(0, Members).Select(i => (Reference: $"{prefix}-{i:D2}", CommandId: NewId.NextGuid())).ToList();
        await using var closing = await ClosingBatchFault.ArmAsync(Database, fault, members.Select(m => m.CommandId));

        var openerId = await OpenAGroupAndQueueMembersBehindItAsync(queue, opener, members);
        if (fault == ClosingFault.ConnectionKilled) await closing.KillStalledGroupAsync();

        await Eventually.HoldsAsync(() => members.All(m => Counterparty.Of<NoteRecorded>(m.Reference).Count >= 1), "an event for every member");
        foreach (var (_, commandId) in members)
            await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 1, $"the delivery of {commandId} recorded");
        await StopNodesAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await closing.RemainingAsync(), Is.Zero, "the closing batch never failed: the spec proved nothing");
            // Counted only for a group of several: the members shared the transaction that failed.
            Assert.That(groups.Failed, Is.EqualTo(1), "not exactly the one group of several failed");
            // Twice: once in the group that was rolled back, once alone afterwards (a member that reached the endpoint
            // too late for that group ran once, in a later one).
            Assert.That(members.Count(m => Desk.VisitsOf("desk", m.Reference) == 2), Is.GreaterThanOrEqualTo(2), "the members of the failed group did not run again");
            foreach (var (reference, commandId) in members)
            {
                Assert.That(Desk.VisitsOf("desk", reference), Is.InRange(1, 2), reference);
                Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1), $"{reference}: the failed group's note survived, or the member's was lost");
                var observed = Counterparty.Of<NoteRecorded>(reference);
                Assert.That(observed, Has.Count.EqualTo(1), $"{reference}: the failed group's event was sent, or the member's was lost");
                Assert.That(observed.Select(o => o.MessageId), Is.EqualTo(new[] { Desk.PublishedMessageId(reference) }),
                    $"{reference}: the event sent is not the one of the run that committed");
                Assert.That(await Database.ScalarAsync<long>("SELECT receive_count FROM inbox_state WHERE message_id = @m", ("@m", commandId.ToString())),
                    Is.EqualTo(1), $"{reference}: the rolled-back claim was counted");
                Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.Zero, $"{reference}: outbox rows left behind");
            }

            Assert.That(Desk.VisitsOf("desk", opener), Is.EqualTo(1));
            Assert.That(Counterparty.Of<NoteRecorded>(opener), Has.Count.EqualTo(1));
            Assert.That(await Database.DeliveredInboxRowsOfAsync(openerId), Is.EqualTo(1));
            Assert.That(await Broker.ReadyAsync(queue), Is.Zero, "a member was left unacknowledged");
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero, "a member was faulted for its group's failure");
        }
    }

    [Test]
    public async Task A_group_committed_whose_sends_never_happen_is_delivered_by_the_next_instance_once_per_event_without_consuming_again()
    {
        var queue = NewQueue("notes");
        var breaker = new DispatchBreaker();
        breaker.Cut();
        var groups = new GroupRecorder(queue);
        await StartDeskAsync(queue, retries: 1, breaker: breaker, settings: CollectForAMoment);
        var prefix = NewReference();
        var opener = $"{prefix}-opener";
        var members = Enumerable.Range(0, Members).Select(i => (Reference: $"{prefix}-{i:D2}", CommandId: NewId.NextGuid())).ToList();

        // Committed, then nothing reaches the broker: every send of the group's delivery and of the retries fails.
        var openerId = await OpenAGroupAndQueueMembersBehindItAsync(queue, opener, members, announcements: 2);
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue + "_error") == Members + 1, "every command given up on by the first instance");
        await StopNodesAsync();
        var firstGroups = groups.Largest;
        groups.Dispose();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(firstGroups, Is.GreaterThanOrEqualTo(2), "the members never shared a transaction");
            Assert.That(breaker.Refused, Is.GreaterThanOrEqualTo(2 * Members), "the group's delivery was never attempted");
            foreach (var (reference, commandId) in members)
            {
                Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1), $"{reference}: the committed note is gone");
                Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.EqualTo(2), $"{reference}: the undelivered events are not kept");
                Assert.That(await Database.CountAsync("inbox_state", "message_id = @m AND consumed IS NOT NULL AND delivered IS NULL", ("@m", commandId.ToString())),
                    Is.EqualTo(1), $"{reference}: not recorded as consumed and undelivered");
                Assert.That(Counterparty.Of<NoteRecorded>(reference), Is.Empty, $"{reference}: an event got out");
            }
        }

        // A new instance, with a broker it can reach, gets the commands back (an operator moves them from the error
        // queue, as after any outage): it must send what the first one stored and consume nothing again.
        using var redelivery = new GroupRecorder(queue);
        await StartDeskAsync(queue, retries: 1, settings: CollectForAMoment);
        Assert.That(await Broker.MoveAsync(queue + "_error", queue), Is.EqualTo(Members + 1));

        await Eventually.HoldsAsync(() => members.All(m => Counterparty.Of<NoteRecorded>(m.Reference).Count >= 2), "both events of every member");
        foreach (var (_, commandId) in members.Append((opener, openerId)))
            await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 1, $"the delivery of {commandId} recorded");
        await StopNodesAsync();
        await SettleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(redelivery.Largest, Is.GreaterThanOrEqualTo(2), "the redelivered commands never shared a group: the group's delivery of stored events was not exercised");
            foreach (var (reference, commandId) in members.Append((opener, openerId)))
            {
                Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1), $"{reference} was consumed again");
                Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1), reference);
                var observed = Counterparty.Of<NoteRecorded>(reference);
                Assert.That(observed, Has.Count.EqualTo(2), $"{reference}: an event was lost or sent twice");
                Assert.That(observed.Select(o => o.MessageId).Distinct().Count(), Is.EqualTo(2), $"{reference}: one event sent twice");
                Assert.That(observed.Select(o => o.MessageId), Does.Contain(Desk.PublishedMessageId(reference)), $"{reference}: sent under new ids");
                Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.Zero, $"{reference}: delivered rows left in the outbox");
                Assert.That(await Database.ScalarAsync<long>("SELECT receive_count FROM inbox_state WHERE message_id = @m", ("@m", commandId.ToString())),
                    Is.EqualTo(3), $"{reference}: its deliveries (group, retry, redelivery) were not each counted once");
            }

            Assert.That(await Broker.ReadyAsync(queue), Is.Zero, "a redelivered command was left unacknowledged");
            Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero);
        }
    }

    /// <summary>
    /// Sends an opener that holds its consumer (a group of one that keeps the endpoint's loop busy), then the
    /// members, which wait for the loop together; once all of them have been taken from the queue the opener is let
    /// go and the members run as one group.
    /// </summary>
    private async Task<Guid> OpenAGroupAndQueueMembersBehindItAsync(string queue, string opener, IReadOnlyList<(string Reference, Guid CommandId)> members, int announcements = 1)
    {
        var openerId = NewId.NextGuid();
        await Counterparty.SendAsync(queue, new RecordNote(opener, "opener", NoteTwist.HoldBeforeCommit, announcements), openerId);
        await Desk.HasPublishedAsync(opener).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(members.Select(m => Counterparty.SendAsync(queue, new RecordNote(m.Reference, "member", Announcements: announcements), m.CommandId)));
        await Eventually.HoldsAsync(async () => await Broker.ReadyAsync(queue) == 0, "every member taken by the endpoint");
        Desk.OpenGate(opener);
        return openerId;
    }
}
