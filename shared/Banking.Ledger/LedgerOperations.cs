using Banking.Contracts;
using Banking.Ledger.Data;
using Banking.Messaging.Groups;
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
/// The SQL is written by hand because EF Core cannot say <c>FOR UPDATE</c>, and because this is the hot path.
/// Behind the group commit (<see cref="GroupMembership"/>) the whole group's accounts are locked and its recorded
/// operations read in one round trip, and what the group's operations write goes out in its closing batch
/// (<see cref="GroupLedgerStore"/>); called on its own, each step is its own statement (<see cref="SqlLedgerStore"/>).
/// </summary>
public sealed class LedgerOperations(LedgerDbContext db, TimeProvider clock, GroupMembership? membership = null, DailyLimitPolicy? dailyLimits = null)
{
    public LedgerOperations(LedgerDbContext db) : this(db, TimeProvider.System)
    {
    }

    /// <summary>
    /// Takes <paramref name="amount"/> out of the account. Invariant: a balance never goes below zero, a transfer's
    /// debit is applied at most once, and with the daily limits on, what the account and its customer send out in one
    /// business date never exceeds their limits (the counters are locked with the account, so concurrent debits are
    /// decided one after the other); a refusal is recorded, so the answer never flips.
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
        var store = await StoreAsync(cancellationToken);
        var existing = await store.ReadClaimAsync(transferId, LedgerOperationKinds.ReverseDebit, cancellationToken);
        if (existing is not null) return existing with { IsReplay = true };

        var debit = await store.ReadClaimAsync(transferId, LedgerOperationKinds.Debit, cancellationToken)
            ?? await FenceAsync(store, transferId, LedgerOperationKinds.Debit, accountNo, cancellationToken);

        var now = Now();
        if (debit.Outcome != LedgerOutcomes.Applied)
        {
            var noop = new LedgerResult(transferId, LedgerOperationKinds.ReverseDebit, accountNo, debit.Amount, debit.Currency, LedgerOutcomes.NoOp,
                null, $"the debit was {debit.Outcome.ToLowerInvariant()}, nothing to give back", null, null, null, null, now);
            return await store.InsertClaimAsync(noop, change: null, cancellationToken);
        }

        var account = await store.LockAccountAsync(debit.AccountNo, cancellationToken)
            ?? throw new InvalidOperationException($"account of applied debit {transferId} has disappeared");
        // The reversal gives the allowance back to the business date the debit counted on.
        var allowance = dailyLimits is { Enabled: true }
            ? await store.LockDailyAllowanceAsync(account, dailyLimits.BusinessDateOf(debit.AtUtc), dailyLimits, cancellationToken)
            : null;
        var before = account.Balance;
        var after = before + debit.Amount;
        var seqNo = NewSeqNo();
        var result = new LedgerResult(transferId, LedgerOperationKinds.ReverseDebit, debit.AccountNo, debit.Amount, debit.Currency, LedgerOutcomes.Applied,
            null, null, null, before, after, seqNo, now);
        return await store.InsertClaimAsync(result,
            new BalanceChange(account, "REVCR", "C", $"reversal of transfer {transferId}", allowance, -debit.Amount), cancellationToken);
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

        var store = await StoreAsync(cancellationToken);
        return await store.ReadClaimAsync(transferId, operation, cancellationToken)
            ?? await FenceAsync(store, transferId, operation, accountNo, cancellationToken);
    }

    private async Task<LedgerResult> ApplyAsync(string operation, string transferId, string accountNo, decimal amount, string currency, string? narrative, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken);
        var existing = await store.ReadClaimAsync(transferId, operation, cancellationToken);
        if (existing is not null) return existing with { IsReplay = true };

        var now = Now();
        var recordedAmount = IsWellFormed(amount) ? amount : 0m;
        LedgerResult Reject(string code, string reason, decimal? available = null, decimal? remainingAllowance = null) =>
            new(transferId, operation, accountNo, recordedAmount, Fit(currency, 3), LedgerOutcomes.Rejected, code, reason, available, null, null, null, now)
            {
                RemainingAllowance = remainingAllowance,
            };

        if (!IsWellFormed(amount))
            return await store.InsertClaimAsync(Reject(ReasonCodes.ValidationError, $"amount {amount} must be greater than 0 with at most 2 decimal places"), null, cancellationToken);

        var account = await store.LockAccountAsync(accountNo, cancellationToken);
        // Only a debit that passes every other check is counted against the day's limits (and locks the counters).
        var allowance = operation == LedgerOperationKinds.Debit && dailyLimits is { Enabled: true }
                        && account is { Status: "A" } && account.Currency == currency && account.Balance >= amount
            ? await store.LockDailyAllowanceAsync(account, dailyLimits.BusinessDateOf(now), dailyLimits, cancellationToken)
            : null;
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
        else if (allowance?.ExceededBy(amount) is { } exceeded)
        {
            result = Reject(ReasonCodes.DailyLimitExceeded,
                $"the {exceeded.Key.Scope.ToLowerInvariant()}'s daily outgoing limit of {exceeded.Limit:0.00} {currency} for {exceeded.Key.BusinessDate:yyyy-MM-dd} leaves {allowance.Remaining:0.00}, less than {amount:0.00}",
                remainingAllowance: allowance.Remaining);
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
            return await store.InsertClaimAsync(result, new BalanceChange(account, type, indicator, narrative, allowance, amount), cancellationToken);
        }

        return await store.InsertClaimAsync(result, null, cancellationToken);
    }

    /// <summary>Claims the operation as cancelled; if another delivery claimed it first, that claim is the answer.</summary>
    private async Task<LedgerResult> FenceAsync(ILedgerStore store, string transferId, string operation, string accountNo, CancellationToken cancellationToken)
    {
        var fence = new LedgerResult(transferId, operation, accountNo, 0m, "", LedgerOutcomes.Cancelled, ReasonCodes.Cancelled,
            "fenced by a cancel before it was applied", null, null, null, null, Now());
        return await store.InsertClaimAsync(fence, null, cancellationToken);
    }

    private async Task<ILedgerStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (membership?.Current is { } group)
        {
            var store = group.Participant(g => new GroupLedgerStore(g));
            await store.EnsureLoadedAsync(cancellationToken);
            return store;
        }

        // Money never moves outside a transaction: the caller's transaction also holds the reply in the outbox.
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as MySqlTransaction
            ?? throw new InvalidOperationException("ledger operations run inside a transaction on the LedgerDbContext (a consumer's outbox opens it)");
        return new SqlLedgerStore((MySqlConnection)transaction.Connection!, transaction);
    }

    // datetime(6) keeps microseconds: what we store is what we answer with, to the tick.
    private DateTime Now()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc);
    }

    // The seed's DATETIME columns keep whole seconds and MySQL would round up a fraction: a change is never dated later than it happened.
    internal static DateTime WholeSeconds(DateTime at) => new(at.Ticks - at.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static readonly decimal MaxBalance = TransferRules.MaxRepresentableAmount;

    private static bool IsWellFormed(decimal amount) =>
        amount > 0 && amount <= TransferRules.MaxRepresentableAmount && decimal.Round(amount, 2) == amount;

    private static string NewSeqNo() => Guid.CreateVersion7().ToString("N");

    internal static string Fit(string value, int length) => value.Length <= length ? value : value[..length];
}

