using Banking.Contracts;
using Banking.Ledger.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using MySqlConnector;

namespace Banking.Ledger;

/// <summary>
/// The only place where money moves in a ledger database. Each method is one step of one transfer and runs inside
/// the caller's transaction (the consumer's, opened by the outbox), so the balance change, its history row, the
/// recorded outcome and the reply in the outbox commit together or not at all.
///
/// Every method first looks for the operation's claim in <c>ledger_operation</c> (unique on transfer id and
/// operation). A claim that exists is the answer, whatever arrives again; a new claim is inserted in the same
/// statement batch as the balance change, so two deliveries of one operation can never both apply it.
///
/// The SQL is written by hand because EF Core cannot say <c>FOR UPDATE</c>, and because this is the hot path:
/// one round trip to read and lock, one to write.
/// </summary>
public sealed class LedgerOperations(LedgerDbContext db, TimeProvider clock)
{
    public LedgerOperations(LedgerDbContext db) : this(db, TimeProvider.System)
    {
    }

    /// <summary>
    /// Takes <paramref name="amount"/> out of the account. Invariant: a balance never goes below zero, and a
    /// transfer's debit is applied at most once; a refusal is recorded, so the answer never flips.
    /// </summary>
    public Task<LedgerResult> DebitAsync(string transferId, string accountNo, decimal amount, string currency, string? narrative, CancellationToken cancellationToken = default) =>
        ApplyAsync(LedgerOperationKinds.Debit, transferId, accountNo, amount, currency, narrative, cancellationToken);

    /// <summary>
    /// Pays <paramref name="amount"/> into the account. Invariant: a transfer's credit is applied at most once, only to
    /// an active account in the transfer's currency; a refusal is definite and recorded.
    /// </summary>
    public Task<LedgerResult> CreditAsync(string transferId, string accountNo, decimal amount, string currency, string? narrative, CancellationToken cancellationToken = default) =>
        ApplyAsync(LedgerOperationKinds.Credit, transferId, accountNo, amount, currency, narrative, cancellationToken);

    /// <summary>
    /// Gives back exactly what the transfer's debit took, once. Invariant: a reversal is never refused for business
    /// reasons (it credits back even an account restricted since the debit); if the debit never happened, the
    /// reversal is a recorded no-op that also fences the debit, so a late debit can no longer be applied.
    /// </summary>
    public async Task<LedgerResult> ReverseDebitAsync(string transferId, string accountNo, CancellationToken cancellationToken = default)
    {
        var (connection, transaction) = Ambient();
        var existing = await ReadClaimAsync(connection, transaction, transferId, LedgerOperationKinds.ReverseDebit, cancellationToken);
        if (existing is not null) return existing with { IsReplay = true };

        var debit = await ReadClaimAsync(connection, transaction, transferId, LedgerOperationKinds.Debit, cancellationToken)
            ?? await FenceAsync(connection, transaction, transferId, LedgerOperationKinds.Debit, accountNo, cancellationToken);

        var now = Now();
        if (debit.Outcome != LedgerOutcomes.Applied)
        {
            var noop = new LedgerResult(transferId, LedgerOperationKinds.ReverseDebit, accountNo, debit.Amount, debit.Currency, LedgerOutcomes.NoOp,
                null, $"the debit was {debit.Outcome.ToLowerInvariant()}, nothing to give back", null, null, null, null, now);
            return await InsertClaimAsync(connection, transaction, noop, change: null, cancellationToken);
        }

        var account = await LockAccountAsync(connection, transaction, debit.AccountNo, cancellationToken)
            ?? throw new InvalidOperationException($"account of applied debit {transferId} has disappeared");
        var before = account.Balance;
        var after = before + debit.Amount;
        var seqNo = NewSeqNo();
        var result = new LedgerResult(transferId, LedgerOperationKinds.ReverseDebit, debit.AccountNo, debit.Amount, debit.Currency, LedgerOutcomes.Applied,
            null, null, null, before, after, seqNo, now);
        return await InsertClaimAsync(connection, transaction, result,
            new BalanceChange(account, "REVCR", "C", $"reversal of transfer {transferId}"), cancellationToken);
    }

    /// <summary>
    /// Fences the transfer's <paramref name="operation"/> (<see cref="LedgerOperationKinds.Debit"/> or
    /// <see cref="LedgerOperationKinds.Credit"/>): if it has not been applied, it never will be. Invariant: the answer
    /// is the truth about the operation: fenced, or already applied (then the transfer must go on).
    /// </summary>
    public async Task<LedgerResult> CancelAsync(string transferId, string operation, string accountNo, CancellationToken cancellationToken = default)
    {
        if (operation is not (LedgerOperationKinds.Debit or LedgerOperationKinds.Credit))
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "only a debit or a credit can be cancelled");

        var (connection, transaction) = Ambient();
        return await ReadClaimAsync(connection, transaction, transferId, operation, cancellationToken)
            ?? await FenceAsync(connection, transaction, transferId, operation, accountNo, cancellationToken);
    }

    private async Task<LedgerResult> ApplyAsync(string operation, string transferId, string accountNo, decimal amount, string currency, string? narrative, CancellationToken cancellationToken)
    {
        var (connection, transaction) = Ambient();
        var existing = await ReadClaimAsync(connection, transaction, transferId, operation, cancellationToken);
        if (existing is not null) return existing with { IsReplay = true };

        var now = Now();
        var recordedAmount = IsWellFormed(amount) ? amount : 0m;
        LedgerResult Reject(string code, string reason, decimal? available = null) =>
            new(transferId, operation, accountNo, recordedAmount, Fit(currency, 3), LedgerOutcomes.Rejected, code, reason, available, null, null, null, now);

        if (!IsWellFormed(amount))
            return await InsertClaimAsync(connection, transaction, Reject(ReasonCodes.ValidationError, $"amount {amount} must be greater than 0 with at most 2 decimal places"), null, cancellationToken);

        var account = await LockAccountAsync(connection, transaction, accountNo, cancellationToken);
        LedgerResult result;
        if (account is null)
        {
            result = Reject(ReasonCodes.AccountNotFound, $"account {accountNo} does not exist");
        }
        else if (account.Status != "A")
        {
            result = Reject(ReasonCodes.AccountRestricted, $"account {accountNo} is not active (status {account.Status})");
        }
        else if (!string.Equals(account.Currency, currency, StringComparison.Ordinal))
        {
            result = Reject(ReasonCodes.CurrencyMismatch, $"account {accountNo} holds {account.Currency}, not {currency}");
        }
        else if (operation == LedgerOperationKinds.Debit && account.Balance < amount)
        {
            result = Reject(ReasonCodes.InsufficientBalance, $"account {accountNo} holds {account.Balance:0.00}, less than {amount:0.00}", account.Balance);
        }
        else if (operation == LedgerOperationKinds.Credit && account.Balance + amount > MaxBalance)
        {
            result = Reject(ReasonCodes.LimitExceeded, $"account {accountNo} cannot hold more than {MaxBalance}");
        }
        else
        {
            var after = operation == LedgerOperationKinds.Debit ? account.Balance - amount : account.Balance + amount;
            result = new LedgerResult(transferId, operation, accountNo, amount, currency, LedgerOutcomes.Applied, null, null, null, account.Balance, after, NewSeqNo(), now);
            var (type, indicator) = operation == LedgerOperationKinds.Debit ? ("TRFDR", "D") : ("TRFCR", "C");
            return await InsertClaimAsync(connection, transaction, result, new BalanceChange(account, type, indicator, narrative), cancellationToken);
        }

        return await InsertClaimAsync(connection, transaction, result, null, cancellationToken);
    }

    /// <summary>Claims the operation as cancelled; if another delivery claimed it first, that claim is the answer.</summary>
    private async Task<LedgerResult> FenceAsync(MySqlConnection connection, MySqlTransaction transaction, string transferId, string operation, string accountNo, CancellationToken cancellationToken)
    {
        var fence = new LedgerResult(transferId, operation, accountNo, 0m, "", LedgerOutcomes.Cancelled, ReasonCodes.Cancelled,
            "fenced by a cancel before it was applied", null, null, null, null, Now());
        return await InsertClaimAsync(connection, transaction, fence, null, cancellationToken);
    }

    /// <summary>
    /// Inserts the claim and, for an applied operation, the balance update and the history row, in one batch. A
    /// duplicate claim stops the batch at its first statement (nothing else runs) and the recorded claim is returned.
    /// </summary>
    private async Task<LedgerResult> InsertClaimAsync(MySqlConnection connection, MySqlTransaction transaction, LedgerResult result, BalanceChange? change, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand { Connection = connection, Transaction = transaction };
        command.CommandText = """
            INSERT INTO ledger_operation (transfer_id, operation, account_no, amount, currency, outcome, reason_code, reason,
                available_balance, balance_before, balance_after, seq_no, created_at)
            VALUES (@transfer, @operation, @account, @amount, @currency, @outcome, @code, @reason, @available, @before, @after, @seq, @now);
            """;
        command.Parameters.AddWithValue("@transfer", result.TransferId);
        command.Parameters.AddWithValue("@operation", result.Operation);
        command.Parameters.AddWithValue("@account", Fit(result.AccountNo, 50));
        command.Parameters.AddWithValue("@amount", result.Amount);
        command.Parameters.AddWithValue("@currency", result.Currency);
        command.Parameters.AddWithValue("@outcome", result.Outcome);
        command.Parameters.AddWithValue("@code", result.ReasonCode);
        command.Parameters.AddWithValue("@reason", result.Reason is null ? null : Fit(result.Reason, 500));
        command.Parameters.AddWithValue("@available", result.AvailableBalance);
        command.Parameters.AddWithValue("@before", result.BalanceBefore);
        command.Parameters.AddWithValue("@after", result.BalanceAfter);
        command.Parameters.AddWithValue("@seq", result.SeqNo);
        command.Parameters.AddWithValue("@now", result.AtUtc);

        if (change is not null)
        {
            command.CommandText += """
                UPDATE rb_acct_balance SET TOTAL_AMOUNT = @after, LAST_CHANGE_DATE = @nowSeconds WHERE INTERNAL_KEY = @key;
                INSERT INTO rb_tran_hist (SEQ_NO, INTERNAL_KEY, CLIENT_NO, BASE_ACCT_NO, TRAN_TYPE, TRAN_AMT, PREVIOUS_BAL_AMT, ACTUAL_BAL,
                    CR_DR_IND, TRAN_DATE, REFERENCE, NARRATIVE, TRAN_STATUS)
                VALUES (@seq, @key, @client, @account, @type, @amount, @before, @after, @indicator, @nowSeconds, @transfer, @narrative, 'N');
                """;
            command.Parameters.AddWithValue("@nowSeconds", WholeSeconds(result.AtUtc));
            command.Parameters.AddWithValue("@key", change.Account.InternalKey);
            command.Parameters.AddWithValue("@client", change.Account.ClientNo);
            command.Parameters.AddWithValue("@type", change.TranType);
            command.Parameters.AddWithValue("@indicator", change.Indicator);
            command.Parameters.AddWithValue("@narrative", change.Narrative is null ? null : Fit(change.Narrative, 500));
        }

        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            return result;
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            // Another delivery of the same operation committed its claim while we were deciding; its outcome stands.
            var winner = await ReadClaimAsync(connection, transaction, result.TransferId, result.Operation, cancellationToken)
                ?? throw new InvalidOperationException($"claim {result.TransferId}/{result.Operation} reported as duplicate but not found", e);
            return winner with { IsReplay = true };
        }
    }

    private static async Task<LedgerResult?> ReadClaimAsync(MySqlConnection connection, MySqlTransaction transaction, string transferId, string operation, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("""
            SELECT account_no, amount, currency, outcome, reason_code, reason, available_balance, balance_before, balance_after, seq_no, created_at
            FROM ledger_operation WHERE transfer_id = @transfer AND operation = @operation
            """, connection, transaction);
        command.Parameters.AddWithValue("@transfer", transferId);
        command.Parameters.AddWithValue("@operation", operation);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;

        decimal? Decimal(int i) => reader.IsDBNull(i) ? null : reader.GetDecimal(i);
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return new LedgerResult(transferId, operation, reader.GetString(0), reader.GetDecimal(1), reader.GetString(2), reader.GetString(3),
            Text(4), Text(5), Decimal(6), Decimal(7), Decimal(8), Text(9), DateTime.SpecifyKind(reader.GetDateTime(10), DateTimeKind.Utc));
    }

    /// <summary>Locks the account's balance row for the rest of the transaction: concurrent operations on one account queue here.</summary>
    private static async Task<LockedAccount?> LockAccountAsync(MySqlConnection connection, MySqlTransaction transaction, string accountNo, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("""
            SELECT a.INTERNAL_KEY, a.CLIENT_NO, a.ACCT_CCY, a.ACCT_STATUS, b.TOTAL_AMOUNT
            FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY
            WHERE a.BASE_ACCT_NO = @account ORDER BY a.INTERNAL_KEY LIMIT 1
            FOR UPDATE
            """, connection, transaction);
        command.Parameters.AddWithValue("@account", accountNo);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new LockedAccount(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? "CNY" : reader.GetString(2),
            reader.IsDBNull(3) ? "A" : reader.GetString(3), reader.IsDBNull(4) ? 0m : reader.GetDecimal(4));
    }

    private (MySqlConnection Connection, MySqlTransaction Transaction) Ambient()
    {
        // Money never moves outside a transaction: the caller's transaction also holds the reply in the outbox.
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as MySqlTransaction
            ?? throw new InvalidOperationException("ledger operations run inside a transaction on the LedgerDbContext (a consumer's outbox opens it)");
        return ((MySqlConnection)transaction.Connection!, transaction);
    }

    // datetime(6) keeps microseconds: what we store is what we answer with, to the tick.
    private DateTime Now()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc);
    }

    // The seed's DATETIME columns keep whole seconds and MySQL would round up a fraction: a change is never dated later than it happened.
    private static DateTime WholeSeconds(DateTime at) => new(at.Ticks - at.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static readonly decimal MaxBalance = TransferRules.MaxRepresentableAmount;

    private static bool IsWellFormed(decimal amount) =>
        amount > 0 && amount <= TransferRules.MaxRepresentableAmount && decimal.Round(amount, 2) == amount;

    private static string NewSeqNo() => Guid.CreateVersion7().ToString("N");

    private static string Fit(string value, int length) => value.Length <= length ? value : value[..length];

    private sealed record LockedAccount(long InternalKey, string ClientNo, string Currency, string Status, decimal Balance);

    private sealed record BalanceChange(LockedAccount Account, string TranType, string Indicator, string? Narrative);
}

