using Banking.Contracts.Transfers;
using MassTransit;

namespace Banking.Gateway.Transfers;

/// <summary>
/// In-memory waiters for transfer outcomes on this gateway instance, keyed by transfer id. A request registers
/// its waiter before it publishes, so an outcome that comes back at once is never missed; several requests
/// for the same transfer (replays) all get the same outcome.
/// </summary>
public sealed class TransferOutcomes
{
    private readonly Dictionary<string, List<TaskCompletionSource<object>>> waiters = new(StringComparer.Ordinal);

    public Waiter Register(string transferId)
    {
        var waiter = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (waiters)
        {
            if (!waiters.TryGetValue(transferId, out var list)) waiters[transferId] = list = [];
            list.Add(waiter);
        }

        return new Waiter(this, transferId, waiter);
    }

    /// <summary>Completes every waiter for the transfer with its final event (TransferCompleted, TransferFailed or TransferRolledBack).</summary>
    public void Deliver(string transferId, object outcome)
    {
        List<TaskCompletionSource<object>>? list;
        lock (waiters)
        {
            if (!waiters.Remove(transferId, out list)) return;
        }

        foreach (var waiter in list) waiter.TrySetResult(outcome);
    }

    private void Remove(string transferId, TaskCompletionSource<object> waiter)
    {
        lock (waiters)
        {
            if (waiters.TryGetValue(transferId, out var list) && list.Remove(waiter) && list.Count == 0) waiters.Remove(transferId);
        }
    }

    public sealed class Waiter(TransferOutcomes owner, string transferId, TaskCompletionSource<object> source) : IDisposable
    {
        /// <summary>The outcome, or null when none arrived within <paramref name="timeout"/>.</summary>
        public async Task<object?> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            try
            {
                return await source.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }

        public void Dispose() => owner.Remove(transferId, source);
    }
}

/// <summary>
/// Runs on this instance's temporary (auto-delete) queue: every gateway instance sees every outcome and
/// completes the waiters it has. Nothing durable depends on it, so a lost outcome only turns a 200 into a 202.
/// </summary>
public sealed class TransferOutcomeConsumer(TransferOutcomes outcomes) :
    IConsumer<TransferCompleted>, IConsumer<TransferFailed>, IConsumer<TransferRolledBack>
{
    public Task Consume(ConsumeContext<TransferCompleted> context) => Deliver(context.Message.TransferId, context.Message);
    public Task Consume(ConsumeContext<TransferFailed> context) => Deliver(context.Message.TransferId, context.Message);
    public Task Consume(ConsumeContext<TransferRolledBack> context) => Deliver(context.Message.TransferId, context.Message);

    private Task Deliver(string transferId, object outcome)
    {
        outcomes.Deliver(transferId, outcome);
        return Task.CompletedTask;
    }
}
