using Banking.Contracts.Transfers;
using Banking.Gateway.Accounts;
using MassTransit;

namespace Banking.Gateway.Transfers;

/// <summary>
/// In-memory waiters for transfer outcomes on this gateway instance, keyed by transfer id. A request registers
/// its waiter before it publishes, so an outcome that comes back at once is never missed; several requests
/// for the same transfer (replays) all get the same outcome. A refusal of one request (<see cref="TransferRequestConflicted"/>)
/// goes only to the waiter whose published message it names: the others under that reference may be the original's.
/// </summary>
public sealed class TransferOutcomes
{
    private readonly Dictionary<string, List<Waiter>> waiters = new(StringComparer.Ordinal);

    /// <param name="messageId">The id of the <see cref="TransferRequested"/> this request publishes.</param>
    public Waiter Register(string transferId, Guid messageId)
    {
        var waiter = new Waiter(this, transferId, messageId);
        lock (waiters)
        {
            if (!waiters.TryGetValue(transferId, out var list)) waiters[transferId] = list = [];
            list.Add(waiter);
        }

        return waiter;
    }

    /// <summary>Completes every waiter for the transfer with its final event (TransferCompleted, TransferFailed or TransferRolledBack).</summary>
    public void Deliver(string transferId, object outcome)
    {
        List<Waiter>? list;
        lock (waiters)
        {
            if (!waiters.Remove(transferId, out list)) return;
        }

        foreach (var waiter in list) waiter.Complete(outcome);
    }

    /// <summary>Completes only the waiter whose request the saga refused; the transfer that owns the reference goes on.</summary>
    public void DeliverConflict(TransferRequestConflicted conflict)
    {
        if (conflict.ConflictingMessageId is not { } messageId) return;
        Waiter? refused;
        lock (waiters)
        {
            if (!waiters.TryGetValue(conflict.TransferId, out var list)) return;
            refused = list.Find(w => w.MessageId == messageId);
            if (refused is null) return;
            list.Remove(refused);
            if (list.Count == 0) waiters.Remove(conflict.TransferId);
        }

        refused.Complete(conflict);
    }

    private void Remove(Waiter waiter)
    {
        lock (waiters)
        {
            if (waiters.TryGetValue(waiter.TransferId, out var list) && list.Remove(waiter) && list.Count == 0) waiters.Remove(waiter.TransferId);
        }
    }

    public sealed class Waiter : IDisposable
    {
        private readonly TransferOutcomes owner;
        private readonly TaskCompletionSource<object> source = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal Waiter(TransferOutcomes owner, string transferId, Guid messageId)
        {
            this.owner = owner;
            TransferId = transferId;
            MessageId = messageId;
        }

        public string TransferId { get; }
        public Guid MessageId { get; }

        internal void Complete(object outcome) => source.TrySetResult(outcome);

        /// <summary>The outcome or the refusal, or null when neither arrived within <paramref name="timeout"/>.</summary>
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

        public void Dispose() => owner.Remove(this);
    }
}

/// <summary>
/// Runs on this instance's temporary (auto-delete) queue: every gateway instance sees every outcome and completes the
/// waiters it has. A final outcome also drops the cached balances of both accounts, whoever started the transfer (any
/// gateway instance, an upstream system), before any waiter hears of it, so that a caller's next balance read cannot
/// see a balance from before its own transfer. The ledgers publish no balance events of their own: the final outcome
/// is the one message every transfer ends with.
/// </summary>
public sealed class TransferOutcomeConsumer(TransferOutcomes outcomes, BalanceCache balances, ILogger<TransferOutcomeConsumer> logger) :
    IConsumer<TransferCompleted>, IConsumer<TransferFailed>, IConsumer<TransferRolledBack>, IConsumer<TransferRequestConflicted>
{
    public Task Consume(ConsumeContext<TransferCompleted> context) => Finish(context.Message.TransferId, context.Message.FromAccount, context.Message.ToAccount, context.Message);
    public Task Consume(ConsumeContext<TransferFailed> context) => Finish(context.Message.TransferId, context.Message.FromAccount, context.Message.ToAccount, context.Message);
    public Task Consume(ConsumeContext<TransferRolledBack> context) => Finish(context.Message.TransferId, context.Message.FromAccount, context.Message.ToAccount, context.Message);

    /// <summary>A refused request moved nothing and leaves the transfer under its reference as it was: no balance to drop.</summary>
    public Task Consume(ConsumeContext<TransferRequestConflicted> context)
    {
        outcomes.DeliverConflict(context.Message);
        return Task.CompletedTask;
    }

    private async Task Finish(string transferId, string fromAccount, string toAccount, object outcome)
    {
        try
        {
            await balances.InvalidateAsync(fromAccount, toAccount);
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            // Not retried: a retry would hold this queue's outcomes back from their waiters while Redis is away, and
            // the cache's TTL (Gateway:BalanceCacheTtl) ends a stale entry anyway.
            logger.LogWarning(e, "Could not drop cached balances after transfer {TransferId}", transferId);
        }

        outcomes.Deliver(transferId, outcome);
    }
}
