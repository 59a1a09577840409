using Banking.Contracts.Transfers;
using Banking.Orchestrator.Data;
using Banking.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace Banking.Orchestrator.Reconciliation;

/// <summary>
/// The end-of-day report of one business date (<see cref="BusinessCalendar"/>): every final transfer of the date
/// against its ledger rows, every ledger row of the date against a transfer, every account's day against its balance.
/// </summary>
/// <remarks>
/// The reads go bank_core first, then DB2, then DB1, each ledger in one snapshot (<see cref="LedgerSnapshot"/>). A
/// transfer is final in bank_core only after the ledgers committed its rows, so a final transfer read first always
/// finds them. The only race left is a ledger row of a transfer that bank_core did not yet have at its read (one begun
/// during the report): such a row is an orphan only if bank_core still does not know its reference when asked again
/// after the ledgers' reads.
/// </remarks>
public sealed class EndOfDayReconciliation(CoreDbContext core, BusinessCalendar calendar, IOptions<ReconciliationOptions> options)
{
    private const int Batch = 500;

    private const string HistoryColumns = """
        SELECT h.SEQ_NO, h.INTERNAL_KEY, COALESCE(a.BASE_ACCT_NO, h.BASE_ACCT_NO), a.ACCT_CCY, h.TRAN_TYPE, h.TRAN_AMT,
               h.PREVIOUS_BAL_AMT, h.ACTUAL_BAL, h.TRAN_DATE, h.REFERENCE, o.id
        FROM rb_tran_hist h
        LEFT JOIN rb_acct a ON a.INTERNAL_KEY = h.INTERNAL_KEY
        LEFT JOIN ledger_operation o ON o.transfer_id = h.REFERENCE AND o.seq_no = h.SEQ_NO
        """;

    private const string MovedOnTheDate = "SELECT INTERNAL_KEY FROM rb_tran_hist WHERE TRAN_DATE >= @from AND TRAN_DATE < @to";

    // Each account's closing balance of the previous days: its last row before the date, in booking order.
    private const string PreviousClosings = $"""
        SELECT k, ACTUAL_BAL FROM (
          SELECT h.INTERNAL_KEY AS k, h.ACTUAL_BAL,
                 ROW_NUMBER() OVER (PARTITION BY h.INTERNAL_KEY ORDER BY h.TRAN_DATE DESC, o.id IS NULL, o.id DESC, h.SEQ_NO DESC) AS rn
          FROM rb_tran_hist h
          LEFT JOIN ledger_operation o ON o.transfer_id = h.REFERENCE AND o.seq_no = h.SEQ_NO
          WHERE h.TRAN_DATE < @from AND h.INTERNAL_KEY IN ({MovedOnTheDate})) x
        WHERE rn = 1
        """;

    private const string Accounts = $"""
        SELECT a.INTERNAL_KEY, a.BASE_ACCT_NO, a.ACCT_CCY, b.TOTAL_AMOUNT,
               EXISTS (SELECT 1 FROM rb_tran_hist x WHERE x.INTERNAL_KEY = a.INTERNAL_KEY AND x.TRAN_DATE >= @to)
        FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY
        WHERE a.INTERNAL_KEY IN ({MovedOnTheDate})
        """;

    public async Task<ReconciliationReport> ReportAsync(DateOnly date, CancellationToken ct)
    {
        var from = calendar.StartUtc(date);
        var to = calendar.EndUtc(date);

        // transfer_log.created_at is a TIMESTAMP: compared in the session's time zone, which is UTC on the bank's
        // servers (the local servers and the containers run in UTC), like every time the platform stores.
        var transfers = await core.Transfers.AsNoTracking()
            .Where(t => t.CreatedAt >= from && t.CreatedAt < to)
            .Select(t => new Transfer(t.TransferId, t.Status, t.Amount, t.Currency, t.FromAccount, t.ToAccount))
            .ToListAsync(ct);
        var ids = transfers.Select(t => t.TransferId).ToList();

        var db2 = await ReadLedgerAsync(2, ids, from, to, ct);
        var db1 = await ReadLedgerAsync(1, ids, from, to, ct);

        var mismatches = new List<Mismatch>();
        foreach (var transfer in transfers.Where(t => t.Status != TransferStatuses.Pending))
            CheckTransfer(transfer, db1.ByReference(transfer.TransferId), db2.ByReference(transfer.TransferId), mismatches);
        await CheckOrphansAsync([db1, db2], ids, mismatches, ct);
        var accounts = new List<AccountDay>();
        foreach (var ledger in new[] { db1, db2 }) CheckAccounts(ledger, accounts, mismatches);

        var counts = new TransferCounts(
            transfers.Count(t => t.Status == TransferStatuses.Success),
            transfers.Count(t => t.Status == TransferStatuses.Rollback),
            transfers.Count(t => t.Status == TransferStatuses.Failed),
            transfers.Count(t => t.Status == TransferStatuses.Pending));
        return new ReconciliationReport(date, calendar.TimeZone.Id, from, to, DateTime.UtcNow, counts,
            [.. accounts.OrderBy(a => a.Ledger, StringComparer.Ordinal).ThenBy(a => a.Account, StringComparer.Ordinal)],
            [.. mismatches.OrderBy(m => m.Code, StringComparer.Ordinal).ThenBy(m => m.TransferId, StringComparer.Ordinal)]);
    }

    private static void CheckTransfer(Transfer transfer, IReadOnlyList<HistoryRow> db1, IReadOnlyList<HistoryRow> db2, List<Mismatch> mismatches)
    {
        void Add(string code, string? ledger, string? account, string detail) =>
            mismatches.Add(new Mismatch(code, transfer.TransferId, ledger, AccountMasking.Mask(account), detail));

        var debits = db1.Where(r => r.TranType == "TRFDR").ToList();
        var reversals = db1.Where(r => r.TranType == "REVCR").ToList();
        var credits = db2.Where(r => r.TranType == "TRFCR").ToList();
        foreach (var row in db1.Except(debits).Except(reversals).Select(r => ("DB1", r)).Concat(db2.Except(credits).Select(r => ("DB2", r))))
            Add(MismatchCodes.UnexpectedMovement, row.Item1, row.r.AccountNo, $"{row.r.TranType} row {row.r.SeqNo} is not a movement this ledger makes for a transfer");

        var moved = debits.Count + reversals.Count + credits.Count;
        switch (transfer.Status)
        {
            case TransferStatuses.Success:
                if (debits.Count == 0) Add(MismatchCodes.SuccessWithoutDebit, "DB1", transfer.FromAccount, "SUCCESS without a debit (TRFDR) in DB1");
                if (credits.Count == 0) Add(MismatchCodes.SuccessWithoutCredit, "DB2", transfer.ToAccount, "SUCCESS without a credit (TRFCR) in DB2");
                if (reversals.Count > 0) Add(MismatchCodes.SuccessWithReversal, "DB1", transfer.FromAccount, "SUCCESS with a reversal (REVCR) in DB1");
                break;
            case TransferStatuses.Rollback:
                if (debits.Count == 0) Add(MismatchCodes.RollbackWithoutDebit, "DB1", transfer.FromAccount, "ROLLBACK without the debit (TRFDR) it reversed in DB1");
                if (reversals.Count == 0) Add(MismatchCodes.RollbackWithoutReversal, "DB1", transfer.FromAccount, "ROLLBACK without a reversal (REVCR) in DB1");
                if (credits.Count > 0) Add(MismatchCodes.RollbackWithCredit, "DB2", transfer.ToAccount, "ROLLBACK with a credit (TRFCR) in DB2");
                break;
            case TransferStatuses.Failed:
                if (moved > 0) Add(MismatchCodes.FailedWithMovement, moved == credits.Count ? "DB2" : "DB1", transfer.FromAccount, $"FAILED with {moved} ledger movement(s)");
                return;
        }

        foreach (var (ledger, kind, rows) in new[] { ("DB1", "debit", debits), ("DB1", "reversal", reversals), ("DB2", "credit", credits) })
        {
            if (rows.Count > 1) Add(MismatchCodes.DuplicateMovement, ledger, rows[0].AccountNo, $"{rows.Count} {kind} rows for one transfer");
            var expectedAccount = kind == "credit" ? transfer.ToAccount : transfer.FromAccount;
            foreach (var row in rows)
            {
                if (row.Amount != transfer.Amount)
                    Add(MismatchCodes.AmountMismatch, ledger, row.AccountNo, $"{kind} of {row.Amount:0.00} for a transfer of {transfer.Amount:0.00} {transfer.Currency}");
                if (row.Currency is { } currency && !string.Equals(currency, transfer.Currency, StringComparison.Ordinal))
                    Add(MismatchCodes.CurrencyMismatch, ledger, row.AccountNo, $"{kind} on a {currency} account for a {transfer.Currency} transfer");
                if (!string.Equals(row.AccountNo, expectedAccount, StringComparison.Ordinal))
                    Add(MismatchCodes.AccountMismatch, ledger, row.AccountNo, $"{kind} on {AccountMasking.Mask(row.AccountNo)}, the transfer names {AccountMasking.Mask(expectedAccount)}");
            }
        }
    }

    private async Task CheckOrphansAsync(IEnumerable<LedgerDay> ledgers, List<string> knownIds, List<Mismatch> mismatches, CancellationToken ct)
    {
        var known = knownIds.ToHashSet(StringComparer.Ordinal);
        var candidates = ledgers.SelectMany(l => l.OnTheDate.Select(r => (Ledger: l.Name, Row: r)))
            .Where(x => x.Row.Reference is null || !known.Contains(x.Row.Reference)).ToList();
        var references = candidates.Where(c => c.Row.Reference is not null).Select(c => c.Row.Reference!).Distinct(StringComparer.Ordinal).ToList();
        // Transfers of other dates (a credit after midnight), and any begun while the ledgers were read.
        foreach (var chunk in references.Chunk(Batch))
        {
            var found = await core.Transfers.AsNoTracking().Where(t => chunk.Contains(t.TransferId)).Select(t => t.TransferId).ToListAsync(ct);
            known.UnionWith(found);
        }

        foreach (var (ledger, row) in candidates.Where(c => c.Row.Reference is null || !known.Contains(c.Row.Reference)))
            mismatches.Add(new Mismatch(MismatchCodes.OrphanLedgerRow, row.Reference, ledger, AccountMasking.Mask(row.AccountNo),
                $"{row.TranType} row {row.SeqNo} of {row.Amount:0.00} belongs to no transfer"));
    }

    private static void CheckAccounts(LedgerDay ledger, List<AccountDay> days, List<Mismatch> mismatches)
    {
        foreach (var group in ledger.OnTheDate.GroupBy(r => r.InternalKey))
        {
            if (group.Key is not { } key || !ledger.Accounts.TryGetValue(key, out var account)) continue;
            var rows = group.OrderBy(r => r.TranDate).ThenBy(r => r.OperationId ?? long.MaxValue).ThenBy(r => r.SeqNo, StringComparer.Ordinal).ToList();
            var opening = ledger.PreviousClosings.TryGetValue(key, out var previous) ? previous : rows[0].PreviousBalance ?? 0m;
            // running: opening + the movements so far (the report's identity); chain: what the rows themselves say,
            // so that one missing or edited row is named once, not again on every row after it.
            var running = opening;
            var chain = opening;
            decimal debits = 0m, credits = 0m;
            var broken = new List<string>();
            foreach (var row in rows)
            {
                var signed = row.TranType == "TRFDR" ? -row.Amount : row.Amount;
                if (signed < 0) debits -= signed; else credits += signed;
                if (row.PreviousBalance != chain || row.ActualBalance != row.PreviousBalance + signed)
                    broken.Add($"row {row.SeqNo} ({row.Reference}) says {row.PreviousBalance:0.00} -> {row.ActualBalance:0.00} for a movement of {signed:0.00}, after {chain:0.00}");
                running += signed;
                chain = row.ActualBalance ?? chain + signed;
            }

            if (!account.MovedLater && account.Balance != running)
                broken.Add($"closing balance {running:0.00} by its movements, {account.Balance:0.00} in rb_acct_balance");
            if (broken.Count > 5) broken = [.. broken.Take(5), $"and {broken.Count - 5} more"];
            days.Add(new AccountDay(ledger.Name, AccountMasking.Mask(account.AccountNo)!, account.Currency, opening, debits, credits, running, rows.Count));
            if (broken.Count > 0)
                mismatches.Add(new Mismatch(MismatchCodes.AccountBalanceBroken, rows[^1].Reference, ledger.Name, AccountMasking.Mask(account.AccountNo),
                    $"opening {opening:0.00} + credits {credits:0.00} - debits {debits:0.00} = {opening + credits - debits:0.00}: " + string.Join("; ", broken)));
        }
    }

    private async Task<LedgerDay> ReadLedgerAsync(int database, List<string> ids, DateTime from, DateTime to, CancellationToken ct)
    {
        await using var snapshot = await LedgerSnapshot.OpenAsync(options.Value, database, ct);
        void Span(MySqlParameterCollection p)
        {
            p.AddWithValue("@from", from);
            p.AddWithValue("@to", to);
        }

        var onTheDate = await snapshot.ReadAsync($"{HistoryColumns} WHERE h.TRAN_DATE >= @from AND h.TRAN_DATE < @to", Span, HistoryRow.Read, ct);
        var outside = new List<HistoryRow>();
        // A transfer's rows that fall outside its date (debited at 23:59:59, credited after midnight).
        foreach (var chunk in ids.Chunk(Batch))
        {
            var names = chunk.Select((_, i) => $"@r{i}").ToList();
            outside.AddRange(await snapshot.ReadAsync(
                $"{HistoryColumns} WHERE h.REFERENCE IN ({string.Join(',', names)}) AND (h.TRAN_DATE < @from OR h.TRAN_DATE >= @to)",
                p =>
                {
                    Span(p);
                    for (var i = 0; i < chunk.Length; i++) p.AddWithValue(names[i], chunk[i]);
                }, HistoryRow.Read, ct));
        }

        var previous = await snapshot.ReadAsync(PreviousClosings, Span, r => (Key: r.GetInt64(0), Balance: r.GetDecimal(1)), ct);
        var accounts = await snapshot.ReadAsync(Accounts, Span,
            r => new AccountRow(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? "" : r.GetString(2), r.GetDecimal(3), r.GetBoolean(4)), ct);
        return new LedgerDay(snapshot.Name, onTheDate,
            onTheDate.Concat(outside).Where(r => r.Reference is not null).ToLookup(r => r.Reference!, StringComparer.Ordinal),
            previous.ToDictionary(p => p.Key, p => p.Balance), accounts.ToDictionary(a => a.InternalKey));
    }

    private sealed record Transfer(string TransferId, string Status, decimal Amount, string Currency, string FromAccount, string ToAccount);

    private sealed record AccountRow(long InternalKey, string AccountNo, string Currency, decimal Balance, bool MovedLater);

    private sealed record LedgerDay(
        string Name,
        List<HistoryRow> OnTheDate,
        ILookup<string, HistoryRow> References,
        Dictionary<long, decimal> PreviousClosings,
        Dictionary<long, AccountRow> Accounts)
    {
        public IReadOnlyList<HistoryRow> ByReference(string transferId) => [.. References[transferId]];
    }

    private sealed record HistoryRow(
        string SeqNo, long? InternalKey, string? AccountNo, string? Currency, string? TranType, decimal Amount,
        decimal? PreviousBalance, decimal? ActualBalance, DateTime? TranDate, string? Reference, long? OperationId)
    {
        public static HistoryRow Read(MySqlDataReader r) => new(
            r.GetString(0),
            r.IsDBNull(1) ? null : r.GetInt64(1),
            r.IsDBNull(2) ? null : r.GetString(2),
            r.IsDBNull(3) ? null : r.GetString(3),
            r.IsDBNull(4) ? null : r.GetString(4),
            r.IsDBNull(5) ? 0m : r.GetDecimal(5),
            r.IsDBNull(6) ? null : r.GetDecimal(6),
            r.IsDBNull(7) ? null : r.GetDecimal(7),
            r.IsDBNull(8) ? null : r.GetDateTime(8),
            r.IsDBNull(9) ? null : r.GetString(9),
            r.IsDBNull(10) ? null : r.GetInt64(10));
    }
}
