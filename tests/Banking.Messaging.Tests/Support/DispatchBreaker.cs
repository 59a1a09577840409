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
    private volatile TaskCompletionSource? held;
    private int refused;
    private int holding;

    public int Refused => Volatile.Read(ref refused);

    /// <summary>Deliveries waiting in <see cref="Hold"/> now.</summary>
    public int Holding => Volatile.Read(ref holding);

    public void Cut() => cut = true;

    /// <summary>
    /// Deliveries neither complete nor fail until <see cref="Restore"/>, and ignore cancellation: what the broker
    /// client did in the fault suite when its topology setup never finished after a RabbitMQ restart.
    /// </summary>
    public void Hold() => held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Restore()
    {
        cut = false;
        held?.TrySetResult();
        held = null;
    }

    public async Task Send(SendContext context, IPipe<SendContext> next)
    {
        var isNoteRecorded = context.DestinationAddress?.AbsolutePath.EndsWith(nameof(NoteRecorded), StringComparison.Ordinal) == true;
        if (isNoteRecorded && !NoteDesk.IsInsideConsumer)
        {
            if (cut)
            {
                Interlocked.Increment(ref refused);
                throw new BrokerUnreachableException($"delivery of {context.MessageId} to {context.DestinationAddress} was cut by the test");
            }

            if (held is { } hold)
            {
                Interlocked.Increment(ref holding);
                try
                {
                    await hold.Task;
                }
                finally
                {
                    Interlocked.Decrement(ref holding);
                }
            }
        }

        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("dispatchBreaker");
}

public sealed class BrokerUnreachableException(string message) : Exception(message);
