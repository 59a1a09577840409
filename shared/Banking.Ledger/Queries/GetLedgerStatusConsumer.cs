using Banking.Contracts.Ledger;
using Banking.Ledger.Data;
using Banking.Messaging.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Banking.Ledger.Queries;

/// <summary>How far this service's outbox is behind: the dashboard's "outbox backlog per service".</summary>
public sealed class GetLedgerStatusConsumer(LedgerDbContext db, LedgerIdentity identity) : IConsumer<GetLedgerStatus>
{
    public async Task Consume(ConsumeContext<GetLedgerStatus> context)
    {
        var outbox = db.Set<OutboxMessage>().AsNoTracking();
        await context.RespondAsync(new LedgerStatus
        {
            Ledger = identity.Database.ToString(),
            OutboxBacklog = await outbox.CountAsync(context.CancellationToken),
            OldestOutboxMessageUtc = await outbox.OrderBy(m => m.SequenceNumber).Select(m => (DateTime?)m.SentTime).FirstOrDefaultAsync(context.CancellationToken),
        });
    }
}
