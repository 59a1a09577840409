using MassTransit;

namespace Banking.Messaging.Tests.Support;

/// <summary>
/// Stands in for a broker that cannot be reached at the moment the outbox delivers <see cref="NoteRecorded"/>
/// (the broker here is shared, so it cannot really be stopped). Sends made while the consumer's own code runs
/// pass: those are the outbox capturing the message, and must still reach the database.
/// </summary>
public sealed class DispatchBreaker : IFilter<SendContext>
{
    private volatile bool cut;
    private int refused;

    public int Refused => Volatile.Read(ref refused);

    public void Cut() => cut = true;

    public void Restore() => cut = false;

    public Task Send(SendContext context, IPipe<SendContext> next)
    {
        var isNoteRecorded = context.DestinationAddress?.AbsolutePath.EndsWith(nameof(NoteRecorded), StringComparison.Ordinal) == true;
        if (cut && isNoteRecorded && !NoteDesk.IsInsideConsumer)
        {
            Interlocked.Increment(ref refused);
            throw new BrokerUnreachableException($"delivery of {context.MessageId} to {context.DestinationAddress} was cut by the test");
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("dispatchBreaker");
}

public sealed class BrokerUnreachableException(string message) : Exception(message);
