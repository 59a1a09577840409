using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Outbox;

/// <summary>
/// What MassTransit's outbox pipeline sees of one message: its inbox row (locked for this transaction) and the
/// consumer's DbContext. Everything the consumer sends or publishes through this context is captured by the base
/// class and lands here as outbox rows.
/// </summary>
public sealed class MySqlOutboxConsumeContext<TDbContext, TMessage>(
    ConsumeContext<TMessage> context,
    OutboxConsumeOptions options,
    IServiceProvider provider,
    TDbContext db,
    InboxState inbox,
    bool rowsRemovedBefore = false)
    : OutboxConsumeContextProxy<TMessage>(context, options, provider)
    where TDbContext : DbContext
    where TMessage : class
{
    public override Guid? MessageId => inbox.MessageId;
    public override bool ContinueProcessing { get; set; } = true;
    public override bool IsMessageConsumed => inbox.Consumed.HasValue;
    public override bool IsOutboxDelivered => inbox.Delivered.HasValue;
    public override int ReceiveCount => inbox.ReceiveCount;
    public override long? LastSequenceNumber => inbox.LastSequenceNumber;

    /// <summary>
    /// Saved by the step's closing SaveChanges, in the same batch as what the consumer changed: one round trip
    /// fewer, the same transaction.
    /// </summary>
    public override Task SetConsumed()
    {
        inbox.Consumed = DateTime.UtcNow;
        return Task.CompletedTask;
    }

    /// <summary>Set when this step marked the inbox delivered and removed the outbox rows (not yet committed).</summary>
    public bool DeliveredAndRemoved { get; private set; }

    public override async Task SetDelivered()
    {
        // Delivered and removed in one commit: once every row has reached the broker, nothing needs them again.
        inbox.Delivered = DateTime.UtcNow;
        await DeleteOutboxRowsAsync();
        DeliveredAndRemoved = true;
    }

    public override async Task<List<OutboxMessageContext>> LoadOutboxMessages()
    {
        var last = inbox.LastSequenceNumber ?? 0;
        var messages = await db.Set<OutboxMessage>().AsNoTracking()
            .Where(m => m.InboxMessageId == inbox.MessageId && m.InboxConsumerId == inbox.ConsumerId && m.SequenceNumber > last)
            .OrderBy(m => m.SequenceNumber)
            .Take(Options.MessageDeliveryLimit + 1)
            .ToListAsync(CancellationToken);

        foreach (var message in messages) message.RestoreFrom(SerializerContext);
        return [.. messages.Cast<OutboxMessageContext>()];
    }

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message)
    {
        inbox.LastSequenceNumber = message.SequenceNumber;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Called once the inbox row says "delivered". <see cref="SetDelivered"/> removed the rows in the same commit,
    /// so right after it there is nothing to look at; on a redelivery of a delivered message this finds none and
    /// writes nothing. Rows left by an older version of this library (delivered, then removed separately) still go.
    /// </summary>
    public override async Task RemoveOutboxMessages()
    {
        if (rowsRemovedBefore) return;
        if (await OutboxRows().AnyAsync(CancellationToken)) await DeleteOutboxRowsAsync();
    }

    private IQueryable<OutboxMessage> OutboxRows() =>
        db.Set<OutboxMessage>().Where(m => m.InboxMessageId == inbox.MessageId && m.InboxConsumerId == inbox.ConsumerId);

    private async Task DeleteOutboxRowsAsync() => await OutboxRows().ExecuteDeleteAsync(CancellationToken);

    public override Task AddSend<T>(SendContext<T> context)
    {
        db.Set<OutboxMessage>().Add(OutboxMessage.From(context, SerializerContext, inbox.MessageId, inbox.ConsumerId));
        return Task.CompletedTask;
    }
}
