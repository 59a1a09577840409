using MassTransit;

namespace Banking.Messaging.Tests.Support;

/// <summary>
/// Writes the note, saves it (so it is really in the transaction, not only tracked), publishes
/// <see cref="NoteRecorded"/>, then does what the command's twist asks.
/// </summary>
public abstract class NoteDeskConsumer(BackOfficeDbContext db, NoteDesk desk) : IConsumer<RecordNote>
{
    protected abstract string DeskName { get; }

    public async Task Consume(ConsumeContext<RecordNote> context)
    {
        using var inside = NoteDesk.EnterConsumer();
        var command = context.Message;
        desk.Visit(DeskName, command.Reference);

        var writtenBy = $"{DeskName}@{context.ReceiveContext.InputAddress.AbsolutePath.Split('/')[^1]}";
        db.Notes.Add(new Note { Reference = command.Reference, WrittenBy = writtenBy, Text = command.Text, RecordedUtc = DateTime.UtcNow });
        await db.SaveChangesAsync(context.CancellationToken);

        for (var i = 0; i < command.Announcements; i++)
        {
            var eventId = NewId.NextGuid();
            await context.Publish(new NoteRecorded(command.Reference, writtenBy), sent =>
            {
                sent.MessageId = eventId;
                if (command.Twist == NoteTwist.FailFirstDelivery) sent.Headers.Set("MT-Fail-Delivery", true);
            });
            desk.Published(command.Reference, eventId);
        }

        switch (command.Twist)
        {
            case NoteTwist.FailAfterPublishing:
                throw new InvalidOperationException($"the desk refused note {command.Reference} after publishing it");
            case NoteTwist.HoldBeforeCommit:
                await desk.GateAsync(command.Reference).WaitAsync(TimeSpan.FromSeconds(30));
                break;
        }
    }
}

/// <summary>The bank's note desk.</summary>
public sealed class RecordNoteConsumer(BackOfficeDbContext db, NoteDesk desk) : NoteDeskConsumer(db, desk)
{
    protected override string DeskName => "desk";
}

/// <summary>A second consumer of the same command, with an inbox of its own.</summary>
public sealed class ArchiveNoteConsumer(BackOfficeDbContext db, NoteDesk desk) : NoteDeskConsumer(db, desk)
{
    protected override string DeskName => "archive";
}
