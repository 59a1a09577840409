using Banking.Contracts.Ledger;
using Banking.Ledger.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Banking.Ledger.Queries;

/// <summary>The dashboard's view into this ledger: a transfer's rows, read-only, straight from the committed data.</summary>
public sealed class GetLedgerEntriesConsumer(LedgerDbContext db, LedgerIdentity identity) : IConsumer<GetLedgerEntries>
{
    public async Task Consume(ConsumeContext<GetLedgerEntries> context)
    {
        var transferId = context.Message.TransferId;
        var history = await db.History.AsNoTracking().Where(h => h.Reference == transferId)
            .OrderBy(h => h.TranTimestamp).ThenBy(h => h.SeqNo).Take(50).ToListAsync(context.CancellationToken);
        var operations = await db.Operations.AsNoTracking().Where(o => o.TransferId == transferId)
            .OrderBy(o => o.Id).Take(50).ToListAsync(context.CancellationToken);

        await context.RespondAsync(new LedgerEntries
        {
            TransferId = transferId,
            Ledger = identity.Database.ToString(),
            History = [.. history.Select(h => new LedgerHistoryRow
            {
                SeqNo = h.SeqNo, AccountNo = h.BaseAcctNo ?? "", TranType = h.TranType, CrDrInd = h.CrDrInd, Amount = h.TranAmt ?? 0m,
                PreviousBalance = h.PreviousBalAmt, ActualBalance = h.ActualBal, TranStatus = h.TranStatus, Narrative = h.Narrative,
                TranDateUtc = h.TranDate is { } d ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : null,
            })],
            Operations = [.. operations.Select(o => new LedgerOperationRow
            {
                Operation = o.Operation, Outcome = o.Outcome, ReasonCode = o.ReasonCode, Reason = o.Reason, Amount = o.Amount,
                RecordedAtUtc = DateTime.SpecifyKind(o.CreatedAt, DateTimeKind.Utc),
            })],
        });
    }
}
