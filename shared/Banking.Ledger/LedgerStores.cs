using Banking.Contracts.Ledger;
using Banking.Ledger.Data;
using Banking.Messaging.Audit;
using Banking.Messaging.Groups;
using Banking.ServiceDefaults;
using MySqlConnector;

namespace Banking.Ledger;

/// <summary>The three things a ledger operation needs of its database; <see cref="LedgerOperations"/> decides the rest.</summary>
internal interface ILedgerStore
{
    /// <summary>The recorded outcome of the transfer's operation, if any.</summary>
    Task<LedgerResult?> ReadClaimAsync(string transferId, string operation, CancellationToken cancellationToken);

    /// <summary>The account, locked for the rest of the transaction: concurrent operations on one account queue here.</summary>
    Task<LockedAccount?> LockAccountAsync(string accountNo, CancellationToken cancellationToken);

    /// <summary>
    /// The account's and its customer's outgoing counters for <paramref name="businessDate"/>, locked for the rest of the
    /// transaction (after the account's own lock), with the limits that apply to them.
    /// </summary>
    Task<DailyAllowance> LockDailyAllowanceAsync(LockedAccount account, DateOnly businessDate, DailyLimitPolicy policy, CancellationToken cancellationToken);

    /// <summary>Records the outcome and, for an applied operation, the balance change and its history row; a claim recorded first wins.</summary>
    Task<LedgerResult> InsertClaimAsync(LedgerResult result, BalanceChange? change, CancellationToken cancellationToken);
}

/// <summary>A locked account as the transaction sees it; <see cref="Balance"/> follows the changes applied to it in the transaction.</summary>
internal sealed class LockedAccount(long internalKey, string accountNo, string clientNo, string currency, string status, decimal balance)
{
    public long InternalKey { get; } = internalKey;
    public string AccountNo { get; } = accountNo;
    public string ClientNo { get; } = clientNo;
    public string Currency { get; } = currency;
    public string Status { get; } = status;
    public decimal Balance { get; set; } = balance;
}

/// <summary>
/// A balance change and its history row; <paramref name="Outgoing"/> is the daily allowance it counts against (a debit
/// adds <paramref name="OutgoingDelta"/>, its reversal gives it back), when the daily limits are on.
/// </summary>
internal sealed record BalanceChange(LockedAccount Account, string TranType, string Indicator, string? Narrative, DailyAllowance? Outgoing = null, decimal OutgoingDelta = 0m)
{
    /// <summary>Counts the change against its allowance; returns the counters it moved.</summary>
    public IEnumerable<DailyCounter> CountOutgoing()
    {
        if (Outgoing is null) return [];
        Outgoing.Account.Add(OutgoingDelta);
        Outgoing.Customer.Add(OutgoingDelta);
        return [Outgoing.Account, Outgoing.Customer];
    }
}

/// <summary>The SQL the ledger's stores share: the columns of a recorded operation and of an account, read the same way.</summary>
internal static class LedgerSql
{
    public const string ClaimColumns =
        "transfer_id, operation, account_no, amount, currency, outcome, reason_code, reason, available_balance, balance_before, balance_after, seq_no, created_at, remaining_allowance";

    public const string AccountColumns = "a.BASE_ACCT_NO, a.INTERNAL_KEY, a.CLIENT_NO, a.ACCT_CCY, a.ACCT_STATUS, b.TOTAL_AMOUNT";

    public const string AccountsJoin = "rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY";

    /// <summary>One account by number, locked for the rest of the transaction (parameter: the account number).</summary>
    public const string LockOneAccount = $"SELECT {AccountColumns} FROM {AccountsJoin} WHERE a.BASE_ACCT_NO = ? ORDER BY a.INTERNAL_KEY LIMIT 1 FOR UPDATE";

    public static readonly string[] ClaimInsertColumns =
        ["transfer_id", "operation", "account_no", "amount", "currency", "outcome", "reason_code", "reason", "available_balance", "balance_before", "balance_after", "seq_no", "created_at", "remaining_allowance"];

    public static readonly string[] HistoryColumns =
        ["SEQ_NO", "INTERNAL_KEY", "CLIENT_NO", "BASE_ACCT_NO", "TRAN_TYPE", "TRAN_AMT", "PREVIOUS_BAL_AMT", "ACTUAL_BAL", "CR_DR_IND", "TRAN_DATE", "REFERENCE", "NARRATIVE", "TRAN_STATUS"];

    public static LedgerResult ReadClaim(MySqlDataReader reader)
    {
        decimal? Decimal(int i) => reader.IsDBNull(i) ? null : reader.GetDecimal(i);
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return new LedgerResult(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3), reader.GetString(4), reader.GetString(5),
            Text(6), Text(7), Decimal(8), Decimal(9), Decimal(10), Text(11), DateTime.SpecifyKind(reader.GetDateTime(12), DateTimeKind.Utc))
        {
            RemainingAllowance = Decimal(13),
        };
    }

    public static LockedAccount ReadAccount(MySqlDataReader reader) =>
        new(reader.GetInt64(1), reader.GetString(0), reader.GetString(2), reader.IsDBNull(3) ? "CNY" : reader.GetString(3),
            reader.IsDBNull(4) ? "A" : reader.GetString(4), reader.IsDBNull(5) ? 0m : reader.GetDecimal(5));

    public static object?[] ClaimRow(LedgerResult r) =>
    [
        r.TransferId, r.Operation, LedgerOperations.Fit(r.AccountNo, 50), r.Amount, r.Currency, r.Outcome, r.ReasonCode,
        r.Reason is null ? null : LedgerOperations.Fit(r.Reason, 500), r.AvailableBalance, r.BalanceBefore, r.BalanceAfter, r.SeqNo, r.AtUtc, r.RemainingAllowance,
    ];

    /// <summary>
    /// A recorded operation as the audit trail keeps it: what was decided for which transfer, on which (masked)
    /// account; the actor is the saga, the only sender whose ledger commands are believed.
    /// </summary>
    public static AuditEntry AuditEntryOf(LedgerResult r) => new(
        $"{r.Operation}_{r.Outcome}",
        "orchestrator",
        r.TransferId,
        string.Join(' ', new[]
        {
            $"account {AccountMasking.Mask(r.AccountNo)}",
            $"{r.Amount:0.00} {r.Currency}",
            r.ReasonCode,
            r.BalanceAfter is { } after ? $"balance {r.BalanceBefore:0.00} -> {after:0.00}" : null,
            r.SeqNo is null ? null : $"seq {r.SeqNo}",
        }.Where(p => p is not null)),
        OccurredAtUtc: r.AtUtc);

    public static readonly string[] DailyOutgoingColumns = ["scope", "scope_key", "currency", "business_date", "amount", "updated_at"];

    /// <summary>Writes the counters' amounts: their rows are locked by this transaction, so the amounts are exact.</summary>
    public static void WriteDailyOutgoing(GroupWrites writes, IEnumerable<DailyCounter> counters, DateTime now) =>
        writes.InsertRows("daily_outgoing", DailyOutgoingColumns,
            counters.Select(c => new object?[] { c.Key.Scope, c.Key.ScopeKey, c.Key.Currency, c.Key.BusinessDate, c.Amount, now }),
            "ON DUPLICATE KEY UPDATE amount = VALUES(amount), updated_at = VALUES(updated_at)");

    /// <summary>
    /// Locks the counters of <paramref name="keys"/> in <see cref="DailyOutgoingKey.LockOrder"/>, creating the rows that
    /// do not exist yet (an upsert locks the row it finds or inserts), then reads them with their overrides in the
    /// same round trip. Under the lock a plain read sees the latest committed amount.
    /// </summary>
    public static async Task<List<DailyCounter>> LockDailyCountersAsync(
        MySqlConnection connection, MySqlTransaction? transaction, IEnumerable<DailyOutgoingKey> keys, DailyLimitPolicy policy, CancellationToken cancellationToken)
    {
        var sorted = keys.Distinct().Order(DailyOutgoingKey.LockOrder).ToList();
        var counters = new List<DailyCounter>(sorted.Count);
        if (sorted.Count == 0) return counters;

        var now = DateTime.UtcNow;
        var upsert = new MySqlBatchCommand(
            $"INSERT INTO daily_outgoing ({string.Join(", ", DailyOutgoingColumns)}) VALUES " +
            string.Join(", ", sorted.Select(_ => "(?, ?, ?, ?, 0, ?)")) + " ON DUPLICATE KEY UPDATE amount = amount");
        foreach (var k in sorted)
        {
            upsert.Parameters.Add(new MySqlParameter { Value = k.Scope });
            upsert.Parameters.Add(new MySqlParameter { Value = k.ScopeKey });
            upsert.Parameters.Add(new MySqlParameter { Value = k.Currency });
            upsert.Parameters.Add(new MySqlParameter { Value = k.BusinessDate });
            upsert.Parameters.Add(new MySqlParameter { Value = now });
        }

        var read = new MySqlBatchCommand(
            "SELECT d.scope, d.scope_key, d.currency, d.business_date, d.amount, l.daily_limit FROM daily_outgoing d " +
            "LEFT JOIN daily_limit l ON l.scope = d.scope AND l.scope_key = d.scope_key AND l.currency = d.currency WHERE " +
            string.Join(" OR ", sorted.Select(_ => "(d.scope = ? AND d.scope_key = ? AND d.currency = ? AND d.business_date = ?)")));
        foreach (var k in sorted)
        {
            read.Parameters.Add(new MySqlParameter { Value = k.Scope });
            read.Parameters.Add(new MySqlParameter { Value = k.ScopeKey });
            read.Parameters.Add(new MySqlParameter { Value = k.Currency });
            read.Parameters.Add(new MySqlParameter { Value = k.BusinessDate });
        }

        await using var batch = new MySqlBatch(connection, transaction);
        batch.BatchCommands.Add(upsert);
        batch.BatchCommands.Add(read);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        // The upsert answers with no result set; the counters are the next.
        while (reader.FieldCount == 0 && await reader.NextResultAsync(cancellationToken))
        {
        }

        while (await reader.ReadAsync(cancellationToken))
        {
            var key = new DailyOutgoingKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateOnly.FromDateTime(reader.GetDateTime(3)));
            counters.Add(new DailyCounter(key, reader.GetDecimal(4), reader.IsDBNull(5) ? policy.DefaultLimit(key.Scope) : reader.GetDecimal(5)));
        }

        if (counters.Count != sorted.Count)
            throw new InvalidOperationException($"{sorted.Count} daily outgoing counters locked but {counters.Count} read back");
        return counters;
    }

    public static object?[] HistoryRow(LedgerResult r, BalanceChange change) =>
    [
        r.SeqNo, change.Account.InternalKey, change.Account.ClientNo, r.AccountNo, change.TranType, r.Amount, r.BalanceBefore, r.BalanceAfter,
        change.Indicator, LedgerOperations.WholeSeconds(r.AtUtc), r.TransferId, change.Narrative is null ? null : LedgerOperations.Fit(change.Narrative, 500), "N",
    ];
}

/// <summary>
/// One statement per step, in the caller's transaction: the lock and read in one round trip each, the write (claim,
/// balance, history) in one batch. Used when an operation runs on its own (tools, specs).
/// </summary>
internal sealed class SqlLedgerStore(MySqlConnection connection, MySqlTransaction transaction) : ILedgerStore
{
    public const string DirectChain = "ledger-operations";

    public async Task<LedgerResult?> ReadClaimAsync(string transferId, string operation, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand($"SELECT {LedgerSql.ClaimColumns} FROM ledger_operation WHERE transfer_id = @transfer AND operation = @operation", connection, transaction);
        command.Parameters.AddWithValue("@transfer", transferId);
        command.Parameters.AddWithValue("@operation", operation);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? LedgerSql.ReadClaim(reader) : null;
    }

    public async Task<LockedAccount?> LockAccountAsync(string accountNo, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(LedgerSql.LockOneAccount, connection, transaction);
        command.Parameters.Add(new MySqlParameter { Value = accountNo });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? LedgerSql.ReadAccount(reader) : null;
    }

    public async Task<DailyAllowance> LockDailyAllowanceAsync(LockedAccount account, DateOnly businessDate, DailyLimitPolicy policy, CancellationToken cancellationToken)
    {
        var counters = await LedgerSql.LockDailyCountersAsync(connection, transaction,
            [DailyOutgoingKey.OfAccount(account, businessDate), DailyOutgoingKey.OfCustomer(account, businessDate)], policy, cancellationToken);
        return new DailyAllowance(counters.Single(c => c.Key.Scope == DailyLimitScopes.Account), counters.Single(c => c.Key.Scope == DailyLimitScopes.Customer));
    }

    /// <summary>
    /// A duplicate claim stops the batch at its first statement (nothing else runs) and the recorded claim is returned.
    /// </summary>
    public async Task<LedgerResult> InsertClaimAsync(LedgerResult result, BalanceChange? change, CancellationToken cancellationToken)
    {
        var writes = new GroupWrites();
        writes.InsertRows("ledger_operation", LedgerSql.ClaimInsertColumns, [LedgerSql.ClaimRow(result)]);
        if (change is not null)
        {
            writes.Add("UPDATE rb_acct_balance SET TOTAL_AMOUNT = ?, LAST_CHANGE_DATE = ? WHERE INTERNAL_KEY = ?",
                result.BalanceAfter, LedgerOperations.WholeSeconds(result.AtUtc), change.Account.InternalKey);
            writes.InsertRows("rb_tran_hist", LedgerSql.HistoryColumns, [LedgerSql.HistoryRow(result, change)]);
            // Counted on the objects only for the write: a store is one operation's, and a failed batch is not reused.
            LedgerSql.WriteDailyOutgoing(writes, change.CountOutgoing().ToList(), result.AtUtc);
        }

        try
        {
            await writes.ExecuteAsync(connection, transaction, cancellationToken);
            // After the claim is in (a duplicate never reaches here), on a chain of its own: outside a group, no endpoint names one.
            await AuditChain.AppendAsync(connection, transaction, DirectChain, [LedgerSql.AuditEntryOf(result)], cancellationToken);
            if (change is not null) change.Account.Balance = result.BalanceAfter!.Value;
            // Outside a group the caller commits; only the group commit, which every ledger endpoint runs behind, is
            // counted, so a test's direct call with a rolled-back transaction cannot count an operation that never was.
            return result;
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            // Another delivery of the same operation committed its claim while we were deciding; its outcome stands.
            var winner = await ReadClaimAsync(result.TransferId, result.Operation, cancellationToken)
                ?? throw new InvalidOperationException($"claim {result.TransferId}/{result.Operation} reported as duplicate but not found", e);
            return winner with { IsReplay = true };
        }
    }
}

/// <summary>
/// A group's ledger: before the first operation runs, every account the group's commands touch is locked, in account
/// order (two groups lock in the same order, so they cannot deadlock), and every operation recorded for the group's
/// transfers is read, in one round trip. The operations then run in memory, one after the other: several on one
/// account see each other's balance, so the history chain (<c>PREVIOUS_BAL_AMT</c> to <c>ACTUAL_BAL</c>) stays
/// continuous. The claims and history rows go out as one multi-row INSERT each and the balances as one UPDATE, in the
/// group's closing batch; the (transfer, operation) unique key is still the last line of defence (a duplicate fails
/// the group, whose members then run again one by one and find the claim).
/// </summary>
internal sealed class GroupLedgerStore(GroupTransaction group) : ILedgerStore, IGroupParticipant
{
    private readonly Dictionary<(string TransferId, string Operation), LedgerResult> claims = [];
    private readonly HashSet<string> transfersRead = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LockedAccount?> accounts = new(StringComparer.Ordinal);
    private readonly List<LedgerResult> newClaims = [];
    private readonly List<(LedgerResult Result, BalanceChange Change)> changes = [];
    private readonly Dictionary<DailyOutgoingKey, DailyCounter> counters = [];
    private readonly HashSet<DailyCounter> countersMoved = [];
    private bool loaded;
    private bool countersForeseen;

    public async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (loaded) return;
        loaded = true;
        var commands = group.Members.Where(m => m.WillConsume).Select(m => KeysOf(m.Message)).Where(k => k.TransferId is not null).ToList();
        var transferIds = commands.Select(c => c.TransferId!).Distinct(StringComparer.Ordinal).ToList();
        var accountNos = commands.Where(c => c.AccountNo is not null).Select(c => c.AccountNo!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (transferIds.Count == 0) return;

        await using var batch = new MySqlBatch(group.Connection, group.Transaction);
        if (accountNos.Count > 0)
        {
            var lockAccounts = new MySqlBatchCommand(
                $"SELECT {LedgerSql.AccountColumns} FROM {LedgerSql.AccountsJoin} WHERE a.BASE_ACCT_NO IN ({GroupWrites.Placeholders(accountNos.Count)}) ORDER BY a.BASE_ACCT_NO, a.INTERNAL_KEY FOR UPDATE");
            foreach (var no in accountNos) lockAccounts.Parameters.Add(new MySqlParameter { Value = no });
            batch.BatchCommands.Add(lockAccounts);
        }

        // After the locks: an operation on a locked account committed by anyone else is visible to this read.
        var readClaims = new MySqlBatchCommand($"SELECT {LedgerSql.ClaimColumns} FROM ledger_operation WHERE transfer_id IN ({GroupWrites.Placeholders(transferIds.Count)})");
        foreach (var id in transferIds) readClaims.Parameters.Add(new MySqlParameter { Value = id });
        batch.BatchCommands.Add(readClaims);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (accountNos.Count > 0)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var account = LedgerSql.ReadAccount(reader);
                accounts.TryAdd(account.AccountNo, account);
            }

            foreach (var no in accountNos) accounts.TryAdd(no, null);
            await reader.NextResultAsync(cancellationToken);
        }

        while (await reader.ReadAsync(cancellationToken))
        {
            var claim = LedgerSql.ReadClaim(reader);
            claims[(claim.TransferId, claim.Operation)] = claim;
        }

        transfersRead.UnionWith(transferIds);
    }

    public async Task<LedgerResult?> ReadClaimAsync(string transferId, string operation, CancellationToken cancellationToken)
    {
        if (claims.TryGetValue((transferId, operation), out var claim)) return claim;
        if (transfersRead.Contains(transferId)) return null;

        // A command the group's read did not foresee (not one of the ledger's commands): read it on its own.
        await using var command = group.Command($"SELECT {LedgerSql.ClaimColumns} FROM ledger_operation WHERE transfer_id = ?");
        command.Parameters.Add(new MySqlParameter { Value = transferId });
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var found = LedgerSql.ReadClaim(reader);
                claims.TryAdd((found.TransferId, found.Operation), found);
            }
        }

        transfersRead.Add(transferId);
        return claims.GetValueOrDefault((transferId, operation));
    }

    public async Task<LockedAccount?> LockAccountAsync(string accountNo, CancellationToken cancellationToken)
    {
        if (accounts.TryGetValue(accountNo, out var account)) return account;
        await using var command = group.Command(LedgerSql.LockOneAccount);
        command.Parameters.Add(new MySqlParameter { Value = accountNo });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        account = await reader.ReadAsync(cancellationToken) ? LedgerSql.ReadAccount(reader) : null;
        accounts[accountNo] = account;
        return account;
    }

    /// <summary>
    /// The first call locks the counters of every debit and reversal the group holds, in lock order, in one round trip
    /// (after the accounts: every transaction takes accounts first, then counters); a counter it did not foresee (a
    /// debit dated across midnight) is locked when asked for.
    /// </summary>
    public async Task<DailyAllowance> LockDailyAllowanceAsync(LockedAccount account, DateOnly businessDate, DailyLimitPolicy policy, CancellationToken cancellationToken)
    {
        var accountKey = DailyOutgoingKey.OfAccount(account, businessDate);
        var customerKey = DailyOutgoingKey.OfCustomer(account, businessDate);
        if (!counters.ContainsKey(accountKey) || !counters.ContainsKey(customerKey))
        {
            var wanted = new List<DailyOutgoingKey> { accountKey, customerKey };
            if (!countersForeseen)
            {
                countersForeseen = true;
                wanted.AddRange(ForeseenCounters(businessDate, policy));
            }

            foreach (var counter in await LedgerSql.LockDailyCountersAsync(group.Connection, group.Transaction, wanted.Where(k => !counters.ContainsKey(k)), policy, cancellationToken))
                counters[counter.Key] = counter;
        }

        return new DailyAllowance(counters[accountKey], counters[customerKey]);
    }

    /// <summary>The counters the group's debits (dated today) and reversals (dated as their debit) will ask for.</summary>
    private IEnumerable<DailyOutgoingKey> ForeseenCounters(DateOnly today, DailyLimitPolicy policy)
    {
        foreach (var member in group.Members.Where(m => m.WillConsume))
        {
            var (account, date) = member.Message switch
            {
                DebitAccount m when !claims.ContainsKey((m.TransferId, LedgerOperationKinds.Debit)) => (accounts.GetValueOrDefault(m.AccountNo), today),
                ReverseDebit m when claims.GetValueOrDefault((m.TransferId, LedgerOperationKinds.Debit)) is { IsApplied: true } debit
                    => (accounts.GetValueOrDefault(debit.AccountNo), policy.BusinessDateOf(debit.AtUtc)),
                _ => (null, default),
            };
            if (account is null) continue;
            yield return DailyOutgoingKey.OfAccount(account, date);
            yield return DailyOutgoingKey.OfCustomer(account, date);
        }
    }

    public Task<LedgerResult> InsertClaimAsync(LedgerResult result, BalanceChange? change, CancellationToken cancellationToken)
    {
        // Two deliveries of one operation in one group: the first decided, the second is its repeat.
        if (claims.TryGetValue((result.TransferId, result.Operation), out var first)) return Task.FromResult(first with { IsReplay = true });

        claims[(result.TransferId, result.Operation)] = result;
        newClaims.Add(result);
        if (change is not null)
        {
            change.Account.Balance = result.BalanceAfter!.Value;
            changes.Add((result, change));
            countersMoved.UnionWith(change.CountOutgoing());
        }

        return Task.FromResult(result);
    }

    public void AddWrites(GroupWrites writes)
    {
        // The group's claims are final here: one action counts them all once the group committed.
        group.OnCommitted(() => newClaims.ForEach(LedgerMetrics.Committed));
        if (newClaims.Count > 0) group.Participant(g => new GroupAuditTrail(g)).AddRange(newClaims.Select(LedgerSql.AuditEntryOf));
        writes.InsertRows("ledger_operation", LedgerSql.ClaimInsertColumns, newClaims.Select(LedgerSql.ClaimRow));
        if (changes.Count == 0) return;
        writes.InsertRows("rb_tran_hist", LedgerSql.HistoryColumns, changes.Select(c => LedgerSql.HistoryRow(c.Result, c.Change)));
        LedgerSql.WriteDailyOutgoing(writes, countersMoved.OrderBy(c => c.Key, DailyOutgoingKey.LockOrder), changes[^1].Result.AtUtc);

        // Each account once, with its balance after the group's last change to it.
        var last = changes.GroupBy(c => c.Change.Account.InternalKey).Select(g => g.Last()).OrderBy(c => c.Change.Account.InternalKey).ToList();
        var values = new List<object?>();
        var total = string.Concat(last.Select(c => { values.Add(c.Change.Account.InternalKey); values.Add(c.Result.BalanceAfter); return " WHEN ? THEN ?"; }));
        var dated = string.Concat(last.Select(c => { values.Add(c.Change.Account.InternalKey); values.Add(LedgerOperations.WholeSeconds(c.Result.AtUtc)); return " WHEN ? THEN ?"; }));
        values.AddRange(last.Select(c => (object?)c.Change.Account.InternalKey));
        writes.Add(
            $"UPDATE rb_acct_balance SET TOTAL_AMOUNT = CASE INTERNAL_KEY{total} END, LAST_CHANGE_DATE = CASE INTERNAL_KEY{dated} END WHERE INTERNAL_KEY IN ({GroupWrites.Placeholders(last.Count)})",
            [.. values]);
    }

    /// <summary>The transfer and the account a ledger command touches (a cancel moves no money: it locks nothing).</summary>
    private static (string? TransferId, string? AccountNo) KeysOf(object message) => message switch
    {
        DebitAccount m => (m.TransferId, m.AccountNo),
        CreditAccount m => (m.TransferId, m.AccountNo),
        ReverseDebit m => (m.TransferId, m.AccountNo),
        CancelDebit m => (m.TransferId, null),
        CancelCredit m => (m.TransferId, null),
        _ => (null, null),
    };
}
