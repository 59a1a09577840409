using Banking.Contracts.Accounts;
using Banking.Ledger.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Banking.Ledger.Queries;

/// <summary>
/// An account's statement from this ledger: its <c>rb_tran_hist</c> entries newest first, in booking order, a page at a
/// time from the last entry of the page before (keyset, over the account's (INTERNAL_KEY, ENTRY_NO) index), from what is
/// committed. One more entry than the page is read to know whether another page follows.
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
        var entries = db.History.AsNoTracking().Where(h => h.InternalKey == account.InternalKey);
        if (question.BeforeEntryNo is { } before) entries = entries.Where(h => h.EntryNo < before);
        // TRAN_DATE holds UTC to the second (LedgerOperations.WholeSeconds).
        if (question.FromUtc is { } from) entries = entries.Where(h => h.TranDate >= from);
        if (question.ToUtc is { } to) entries = entries.Where(h => h.TranDate < to);
        var page = await entries.OrderByDescending(h => h.EntryNo).Take(limit + 1).ToListAsync(context.CancellationToken);

        var shown = page.Take(limit).ToList();
        await context.RespondAsync(new AccountTransactions
        {
            AccountNo = question.AccountNo,
            Found = true,
            ClientNo = account.ClientNo,
            Currency = account.AcctCcy,
            Entries = [.. shown.Select(h => new AccountTransaction
            {
                EntryNo = h.EntryNo,
                TransferId = h.Reference,
                DebitCredit = h.CrDrInd ?? "",
                Amount = h.TranAmt ?? 0m,
                BalanceBefore = h.PreviousBalAmt,
                BalanceAfter = h.ActualBal,
                TranType = h.TranType,
                Narrative = h.Narrative,
                BookedAtUtc = DateTime.SpecifyKind(h.TranDate ?? h.TranTimestamp ?? DateTime.UnixEpoch, DateTimeKind.Utc),
            })],
            NextBeforeEntryNo = page.Count > limit ? shown[^1].EntryNo : null,
        });
    }
}
