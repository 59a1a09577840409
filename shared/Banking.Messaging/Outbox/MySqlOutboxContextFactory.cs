using System.Data;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Outbox;

/// <summary>
/// Runs MassTransit's outbox pipeline for one message in MySQL transactions on the consumer's own DbContext:
/// <list type="number">
/// <item>claim the inbox row for (message id, consumer) and count the delivery: <c>INSERT ... ON DUPLICATE KEY
/// UPDATE</c>, then <c>SELECT ... FOR UPDATE</c>, so a concurrent delivery of the same message waits here;</item>
/// <item>consume: the business change, the outbox rows and "consumed" commit together;</item>
/// <item>deliver the outbox rows with confirms, then mark "delivered" and remove them in one commit;</item>
/// <item>acknowledge: known from the commit before, so it needs no transaction.</item>
/// </list>
/// Each step is its own transaction; a crash between them is completed by the broker's redelivery, which finds
/// the inbox row and resumes where it stopped (a consumed message is never consumed again).
/// <para>
/// Every write commit is a durable flush (<c>innodb_flush_log_at_trx_commit=1</c>, <c>sync_binlog=1</c>), so the
/// steps that follow the first write only when they must: two flushes per consumed message, whatever it sent.
/// </para>
/// </summary>
public sealed class MySqlOutboxContextFactory<TDbContext>(TDbContext db, IServiceProvider provider, OutboxStallWatchdog watchdog) : IOutboxContextFactory<TDbContext>
    where TDbContext : DbContext
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        // Without a message id a redelivery cannot be recognised: refusing is the only safe answer.
        var messageId = context.MessageId
            ?? throw new MessageException(typeof(T), "a message without a MessageId cannot be processed exactly once; it was refused unprocessed");

        // Each step rolls back as a whole when it fails; EF Core's savepoints around SaveChanges would only add round trips.
        db.Database.AutoSavepointsEnabled = false;

        var strategy = db.Database.CreateExecutionStrategy();
        var messageType = TypeCache<T>.ShortName;
        var step = await watchdog.Watch(strategy.ExecuteAsync(() => RunStep(context, options, next, messageId, countDelivery: true)), messageId, messageType);
        while (step.ContinueProcessing)
        {
            step = await watchdog.Watch(step.DeliveredAndRemoved
                ? FinishDelivered(context, options, next, step.Inbox)
                : strategy.ExecuteAsync(() => RunStep(context, options, next, messageId, countDelivery: false)), messageId, messageType);
        }
    }

    /// <summary>
    /// The step after the commit that marked the inbox delivered and removed the outbox rows: MassTransit's pipe
    /// only acknowledges here. Everything it would read is known from that commit, so no transaction is opened.
    /// </summary>
    private async Task<StepResult> FinishDelivered<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next, InboxState inbox)
        where T : class
    {
        var outboxContext = new MySqlOutboxConsumeContext<TDbContext, T>(context, options, provider, db, inbox, rowsRemovedBefore: true);
        await next.Send(outboxContext);
        if (outboxContext.ContinueProcessing || db.ChangeTracker.HasChanges())
            throw new InvalidOperationException($"the outbox pipeline did not finish message {inbox.MessageId} after its delivery was recorded");
        return new StepResult(false, false, inbox);
    }

    private async Task<StepResult> RunStep<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next, Guid messageId, bool countDelivery)
        where T : class
    {
        // A retried step must not see entities tracked by the failed attempt: a stale inbox row would let a duplicate through.
        db.ChangeTracker.Clear();

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
        try
        {
            if (countDelivery)
            {
                // The first step of a delivery creates the row, or counts the redelivery on the row it finds. Later
                // steps of the same delivery find the row this one committed and only lock it.
                await db.Database.ExecuteSqlInterpolatedAsync($"""
                    INSERT INTO inbox_state (message_id, consumer_id, lock_id, received, receive_count)
                    VALUES ({messageId}, {options.ConsumerId}, {NewId.NextGuid()}, {DateTime.UtcNow}, 1)
                    ON DUPLICATE KEY UPDATE receive_count = receive_count + 1
                    """, context.CancellationToken);
            }

            var inbox = await db.Set<InboxState>()
                .FromSqlInterpolated($"SELECT * FROM inbox_state WHERE message_id = {messageId} AND consumer_id = {options.ConsumerId} FOR UPDATE")
                .AsTracking()
                .SingleOrDefaultAsync(context.CancellationToken)
                ?? throw new InvalidOperationException($"inbox row of message {messageId} disappeared while it was being processed");

            var outboxContext = new MySqlOutboxConsumeContext<TDbContext, T>(context, options, provider, db, inbox);
            await next.Send(outboxContext);
            await db.SaveChangesAsync(context.CancellationToken);
            await transaction.CommitAsync(context.CancellationToken);
            return new StepResult(outboxContext.ContinueProcessing, outboxContext.DeliveredAndRemoved, inbox);
        }
        catch
        {
            try
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
            catch (Exception)
            {
                // The connection may be gone; the server rolls back on its own then.
            }

            throw;
        }
    }

    private sealed record StepResult(bool ContinueProcessing, bool DeliveredAndRemoved, InboxState Inbox);

    public void Probe(ProbeContext context) => context.CreateFilterScope("outboxContextFactory").Add("provider", "banking-mysql");
}
