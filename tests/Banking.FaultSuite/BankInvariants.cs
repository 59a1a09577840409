using MySqlConnector;

namespace Banking.FaultSuite;

public sealed record Violation(string Invariant, string Detail);

/// <summary>
/// The bank's invariants, checked on the ledgers and the saga's records once the platform is quiet. Each
/// violation names the invariant it breaks, so a failed run says what went wrong, not just that something did.
/// </summary>
public static class BankInvariants
{
    public const string MoneyConserved = "total money across DB1 + DB2 equals the opening total";
    public const string NeverNegative = "no balance below zero at any time";
    public const string AcknowledgedIsFinal = "every acknowledged transfer is final";
    public const string NoneStuck = "no transfer stuck in flight";
    public const string SuccessLedger = "SUCCESS => exactly one debit and one credit, no reversal";
    public const string RollbackLedger = "ROLLBACK => one debit and one reversal of the same amount (or neither), no credit";
    public const string FailedLedger = "FAILED => no ledger row";
    public const string LedgerHasSaga = "every ledger row belongs to a transfer the saga knows";
    public const string BalanceIsHistory = "every balance = opening balance + its history rows";
    public const string ChainContinuous = "every PREVIOUS_BAL_AMT/ACTUAL_BAL chain is continuous";
    public const string NewBalanceAgrees = "every 200 response's new_balance agrees with the ledger";
    public const string AnsweredIsKept = "every transfer answered 200 is SUCCESS in the saga (no acknowledged write lost, across a failover too)";
    public const string Reconciled = "the orchestrator's end-of-day reconciliation of every business date of the run is clean";
    public const string NoInternalError = "no request is answered 500: an outage is answered 503, a refusal with its reason";
    public const string AuditIntact = "every audit chain of bank_db1, bank_db2 and bank_core verifies";

    public sealed record Snapshot(IReadOnlyDictionary<string, decimal> Ledger1, IReadOnlyDictionary<string, decimal> Ledger2)
    {
        public decimal Total => Ledger1.Values.Sum() + Ledger2.Values.Sum();
    }

    public static async Task<Snapshot> SnapshotAsync(string ledger1, string ledger2) =>
        new(await BalancesAsync(ledger1), await BalancesAsync(ledger2));

    public static async Task<List<Violation>> CheckAsync(string ledger1, string ledger2, string core, Snapshot opening, IEnumerable<TransferAttempt> attempts)
    {
        var violations = new List<Violation>();
        var closing = await SnapshotAsync(ledger1, ledger2);
        if (closing.Total != opening.Total)
            violations.Add(new(MoneyConserved, $"opening {opening.Total:0.00}, closing {closing.Total:0.00}, difference {closing.Total - opening.Total:0.00}"));

        var history1 = await HistoryAsync(ledger1);
        var history2 = await HistoryAsync(ledger2);
        foreach (var row in history1.Concat(history2).Where(r => r.ActualBalance < 0 || r.PreviousBalance < 0))
            violations.Add(new(NeverNegative, $"{row.AccountNo} went to {row.ActualBalance:0.00} ({row.Type} of transfer {row.Reference})"));
        foreach (var (account, balance) in closing.Ledger1.Concat(closing.Ledger2).Where(b => b.Value < 0))
            violations.Add(new(NeverNegative, $"{account} ends at {balance:0.00}"));

        var transfers = await TransfersAsync(core);
        foreach (var attempt in attempts.Where(a => a.Acknowledged))
        {
            if (!transfers.TryGetValue(attempt.TransferId, out var transfer))
                violations.Add(new(AcknowledgedIsFinal, $"{attempt.TransferId} ({attempt.Path}, HTTP {attempt.HttpStatus?.ToString() ?? "-"}) was acknowledged but the saga has no record of it"));
            else if (!IsFinal(transfer.Status))
                violations.Add(new(AcknowledgedIsFinal, $"{attempt.TransferId} is {transfer.Status} in {transfer.State}"));
        }

        foreach (var transfer in transfers.Values.Where(t => !IsFinal(t.Status)))
            violations.Add(new(NoneStuck, $"{transfer.TransferId} is {transfer.Status} in {transfer.State}"));

        var byTransfer1 = history1.ToLookup(r => r.Reference);
        var byTransfer2 = history2.ToLookup(r => r.Reference);
        foreach (var transfer in transfers.Values)
        {
            var rows1 = byTransfer1[transfer.TransferId].ToList();
            var rows2 = byTransfer2[transfer.TransferId].ToList();
            var debits = rows1.Where(r => r.Type == "TRFDR").ToList();
            var reversals = rows1.Where(r => r.Type == "REVCR").ToList();
            var credits = rows2.Where(r => r.Type == "TRFCR").ToList();
            var described = $"{transfer.TransferId}: {debits.Count} debit(s), {credits.Count} credit(s), {reversals.Count} reversal(s)";
            switch (transfer.Status)
            {
                case "SUCCESS" when debits.Count != 1 || credits.Count != 1 || reversals.Count != 0
                                    || debits[0].Amount != transfer.Amount || credits[0].Amount != transfer.Amount:
                    violations.Add(new(SuccessLedger, described));
                    break;
                // A debit that never happened is "reversed" as a recorded no-op: no row at all is also a clean rollback.
                case "ROLLBACK" when !(debits.Count == 0 && reversals.Count == 0 && credits.Count == 0)
                                     && (debits.Count != 1 || reversals.Count != 1 || credits.Count != 0 || debits[0].Amount != reversals[0].Amount):
                    violations.Add(new(RollbackLedger, described));
                    break;
                case "FAILED" when rows1.Count + rows2.Count != 0:
                    violations.Add(new(FailedLedger, described));
                    break;
            }
        }

        foreach (var reference in history1.Concat(history2).Select(r => r.Reference).Distinct().Where(r => r is not null && !transfers.ContainsKey(r)))
            violations.Add(new(LedgerHasSaga, $"ledger rows reference {reference}, unknown to the saga"));

        CheckAccounts(violations, opening.Ledger1, closing.Ledger1, history1);
        CheckAccounts(violations, opening.Ledger2, closing.Ledger2, history2);

        foreach (var attempt in attempts.Where(a => a.NewBalance is not null))
        {
            var debit = byTransfer1[attempt.TransferId].FirstOrDefault(r => r.Type == "TRFDR");
            if (debit is null || debit.ActualBalance != attempt.NewBalance)
                violations.Add(new(NewBalanceAgrees, $"{attempt.TransferId}: answered new_balance {attempt.NewBalance:0.00}, ledger {debit?.ActualBalance.ToString("0.00") ?? "no debit"}"));
        }

        foreach (var attempt in attempts.Where(a => a.NewBalance is not null))
        {
            if (!transfers.TryGetValue(attempt.TransferId, out var transfer) || transfer.Status != "SUCCESS")
                violations.Add(new(AnsweredIsKept, $"{attempt.TransferId} was answered 200 SUCCESS; the saga has {transfer?.Status ?? "no record"}"));
        }

        // A fault the platform is built to survive is never an unexplained failure to the caller.
        foreach (var attempt in attempts.Where(a => a.HttpStatus == 500))
            violations.Add(new(NoInternalError, $"{attempt.TransferId} ({attempt.Path}) was answered 500 INTERNAL_ERROR"));

        return violations;
    }

    public static bool IsFinal(string status) => status is "SUCCESS" or "FAILED" or "ROLLBACK";

    private static void CheckAccounts(List<Violation> violations, IReadOnlyDictionary<string, decimal> opening, IReadOnlyDictionary<string, decimal> closing, IReadOnlyList<HistoryRow> history)
    {
        var byAccount = history.ToLookup(r => r.AccountNo);
        foreach (var (account, balance) in closing)
        {
            var start = opening.GetValueOrDefault(account);
            var rows = byAccount[account].ToList();
            var expected = start + rows.Sum(r => r.Direction == "C" ? r.Amount : -r.Amount);
            if (expected != balance)
                violations.Add(new(BalanceIsHistory, $"{account}: opening {start:0.00} + history = {expected:0.00}, balance {balance:0.00}"));

            // Rows are ordered by SEQ_NO (a time-ordered id); within one millisecond the order is rebuilt from the
            // balances themselves: the next row is the one that starts where the previous ended.
            var remaining = rows.OrderBy(r => r.SeqNo, StringComparer.Ordinal).ToList();
            var current = start;
            while (remaining.Count > 0)
            {
                var next = remaining.FirstOrDefault(r => r.PreviousBalance == current);
                if (next is null || next.ActualBalance != next.PreviousBalance + (next.Direction == "C" ? next.Amount : -next.Amount))
                {
                    violations.Add(new(ChainContinuous, $"{account}: no row continues from {current:0.00} ({remaining.Count} row(s) left)"));
                    break;
                }

                current = next.ActualBalance;
                remaining.Remove(next);
            }
        }
    }

    private static async Task<Dictionary<string, decimal>> BalancesAsync(string ledger)
    {
        var balances = new Dictionary<string, decimal>();
        await using var connection = new MySqlConnection(ledger);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT a.BASE_ACCT_NO, b.TOTAL_AMOUNT FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) balances[reader.GetString(0)] = reader.GetDecimal(1);
        return balances;
    }

    public sealed record HistoryRow(string SeqNo, string AccountNo, string Type, string Direction, decimal Amount, decimal PreviousBalance, decimal ActualBalance, string Reference);

    private static async Task<List<HistoryRow>> HistoryAsync(string ledger)
    {
        var rows = new List<HistoryRow>();
        await using var connection = new MySqlConnection(ledger);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT SEQ_NO, BASE_ACCT_NO, TRAN_TYPE, CR_DR_IND, TRAN_AMT, PREVIOUS_BAL_AMT, ACTUAL_BAL, REFERENCE FROM rb_tran_hist", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new HistoryRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetDecimal(4), reader.GetDecimal(5), reader.GetDecimal(6), reader.GetString(7)));
        }

        return rows;
    }

    public sealed record TransferRecord(string TransferId, string Status, string State, decimal Amount);

    public static async Task<Dictionary<string, TransferRecord>> TransfersAsync(string core)
    {
        var transfers = new Dictionary<string, TransferRecord>();
        await using var connection = new MySqlConnection(core);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT transfer_id, status, current_state, amount FROM transfer_log", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            transfers[reader.GetString(0)] = new TransferRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3));
        return transfers;
    }
}
