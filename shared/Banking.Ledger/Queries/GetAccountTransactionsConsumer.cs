using Banking.Contracts.Accounts;
using Banking.Ledger.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Banking.Ledger.Queries;

/// <summary>
/// An account's statement from this ledger: its <c>rb_tran_hist</c> entries newest first, in booking order, a page at a
/// time from the last entry of the page before (keyset over the claims' (account_no, id) index; an entry's number is its
/// claim's id), from what is committed. One more entry than the page is read to know whether another page follows.
/// </summary>
public sealed class GetAccountTransactionsConsumer(LedgerDbContext db) : IConsumer<GetAccountTransactions>
{
    public const int MaxLimit = 100;

    public async Task Consume(ConsumeContext<GetAccountTransactions> context)
    {
        var question = context.Message;
        var account = await db.Accounts.AsNoTracking()
            .Where(a => a.BaseAcctNo == question.AccountNo)
            .OrderBy(a => a.InternalKey)
            .Select(a => new { a.InternalKey, a.ClientNo, a.AcctCcy })
            .FirstOrDefaultAsync(context.CancellationToken);
        if (account is null)
        {
            await context.RespondAsync(new AccountTransactions { AccountNo = question.AccountNo, Found = false });
            return;
        }

        var limit = Math.Clamp(question.Limit, 1, MaxLimit);
        // Every entry of rb_tran_hist was booked with a claim naming its SEQ_NO; the claim's id is the booking order.
        var entries =
            from claim in db.Operations.AsNoTracking()
            where claim.AccountNo == question.AccountNo && claim.SeqNo != null
            join entry in db.History.AsNoTracking() on claim.SeqNo equals entry.SeqNo
            select new { claim.Id, Entry = entry };
        if (question.BeforeEntryNo is { } before) entries = entries.Where(e => e.Id < before);
        // TRAN_DATE holds UTC to the second (LedgerOperations.WholeSeconds).
        if (question.FromUtc is { } from) entries = entries.Where(e => e.Entry.TranDate >= from);
        if (question.ToUtc is { } to) entries = entries.Where(e => e.Entry.TranDate < to);
        var page = await entries.OrderByDescending(e => e.Id).Take(limit + 1).ToListAsync(context.CancellationToken);

        var shown = page.Take(limit).ToList();
        await context.RespondAsync(new AccountTransactions
        {
            AccountNo = question.AccountNo,
            Found = true,
            ClientNo = account.ClientNo,
            Currency = account.AcctCcy,
            Entries = [.. shown.Select(e => (e.Id, h: e.Entry)).Select(e => new AccountTransaction
            {
                EntryNo = e.Id,
                TransferId = e.h.Reference,
                DebitCredit = e.h.CrDrInd ?? "",
                Amount = e.h.TranAmt ?? 0m,
                BalanceBefore = e.h.PreviousBalAmt,
                BalanceAfter = e.h.ActualBal,
                TranType = e.h.TranType,
                Narrative = e.h.Narrative,
                BookedAtUtc = DateTime.SpecifyKind(e.h.TranDate ?? e.h.TranTimestamp ?? DateTime.UnixEpoch, DateTimeKind.Utc),
            })],
            NextBeforeEntryNo = page.Count > limit ? shown[^1].Id : null,
        });
    }
}
