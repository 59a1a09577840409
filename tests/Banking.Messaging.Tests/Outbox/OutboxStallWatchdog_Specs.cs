using Banking.Messaging.Outbox;
using Banking.Messaging.Tests.Support;
using Banking.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Banking.Messaging.Tests.Outbox;

[TestFixture]
public sealed class OutboxStallWatchdog_Specs() : BackOfficeSpecs("outbox_stall")
{
    [Test]
    public async Task A_delivery_that_neither_finishes_nor_fails_stops_the_service_without_acknowledging_the_message()
    {
        var queue = NewQueue("notes");
        var breaker = new DispatchBreaker();
        breaker.Hold();
        var node = await StartDeskAsync(queue, breaker: breaker, settings: new Dictionary<string, string?>
        {
            ["Messaging:Outbox:StallTimeout"] = "00:00:02",
            ["Messaging:Outbox:StopGrace"] = "00:10:00",
        });
        var watchdog = node.Services.GetRequiredService<OutboxStallWatchdog>();
        var lifetime = node.Services.GetRequiredService<IHostApplicationLifetime>();
        var reference = NewReference();
        var commandId = NewId.NextGuid();

        try
        {
            await Counterparty.SendAsync(queue, new RecordNote(reference, "delivery wedged"), commandId);
            await Eventually.HoldsAsync(() => breaker.Holding == 1, "the delivery waiting on the wedged broker client");
            Assert.That(watchdog.Stalled, Is.False, "stalled before the timeout");

            await Eventually.HoldsAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, "the service asked to stop");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(watchdog.Stalled, Is.True);
                Assert.That(Environment.ExitCode, Is.EqualTo(OutboxStallWatchdog.ExitCode), "the supervisor is told why");
                Assert.That(Desk.VisitsOf("desk", reference), Is.EqualTo(1));
                Assert.That(await Database.NotesAsync(reference), Is.EqualTo(1), "the committed note is kept");
                Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.EqualTo(1), "the undelivered event is kept in the outbox");
                Assert.That(await Database.CountAsync("inbox_state", "message_id = @m AND consumed IS NOT NULL AND delivered IS NULL", ("@m", commandId.ToString())), Is.EqualTo(1));
                Assert.That(await Broker.ReadyAsync(queue + "_error"), Is.Zero, "the message was faulted instead of left unacknowledged");
                Assert.That(Counterparty.Of<NoteRecorded>(reference), Is.Empty);
            }

            // The wedge clears before the process ends: the step completes as any other, once.
            breaker.Restore();
            await Eventually.HoldsAsync(() => Counterparty.Of<NoteRecorded>(reference).Count == 1, "the event delivered");
            await Eventually.HoldsAsync(async () => await Database.DeliveredInboxRowsOfAsync(commandId) == 1, "the delivery recorded");
            await StopNodesAsync();
            await SettleAsync();
            using (Assert.EnterMultipleScope())
            {
                Assert.That(Counterparty.Of<NoteRecorded>(reference), Has.Count.EqualTo(1));
                Assert.That(await Database.OutboxRowsOfAsync(commandId), Is.Zero);
                Assert.That(await Broker.ReadyAsync(queue), Is.Zero);
            }
        }
        finally
        {
            breaker.Restore();
            Environment.ExitCode = 0;
        }
    }

    [Test]
    public async Task Steps_that_finish_within_the_timeout_leave_the_service_running()
    {
        var queue = NewQueue("notes");
        var node = await StartDeskAsync(queue, settings: new Dictionary<string, string?> { ["Messaging:Outbox:StallTimeout"] = "00:00:02" });
        var reference = NewReference();

        await Counterparty.SendAsync(queue, new RecordNote(reference, "ordinary"), NewId.NextGuid());
        await Eventually.HoldsAsync(() => Counterparty.Of<NoteRecorded>(reference).Count == 1, "the event delivered");
        await Task.Delay(TimeSpan.FromSeconds(3));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(node.Services.GetRequiredService<OutboxStallWatchdog>().Stalled, Is.False);
            Assert.That(node.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, Is.False);
        }
    }
}
