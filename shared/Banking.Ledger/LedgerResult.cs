using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Ledger.Data;

namespace Banking.Ledger;

/// <summary>
/// The recorded outcome of one ledger operation (a row of <c>ledger_operation</c>). <see cref="IsReplay"/> tells a
/// repeat (the outcome was recorded by an earlier delivery) from the delivery that decided it.
/// </summary>
public sealed record LedgerResult(
    string TransferId,
    string Operation,
    string AccountNo,
    decimal Amount,
    string Currency,
    string Outcome,
    string? ReasonCode,
    string? Reason,
    decimal? AvailableBalance,
    decimal? BalanceBefore,
    decimal? BalanceAfter,
    string? SeqNo,
    DateTime AtUtc)
{
    public bool IsReplay { get; init; }

    /// <summary>What the account (or its customer) could still send out that business date, when refused <c>DAILY_LIMIT_EXCEEDED</c>.</summary>
    public decimal? RemainingAllowance { get; init; }

    public bool IsApplied => Outcome == LedgerOutcomes.Applied;

    /// <summary>The reply to DebitAccount: AccountDebited, or DebitRejected (a debit fenced by a cancel is rejected as CANCELLED).</summary>
    public object ToDebitReply() => IsApplied
        ? new AccountDebited
        {
            TransferId = TransferId, AccountNo = AccountNo, Amount = Amount, Currency = Currency,
            BalanceBefore = BalanceBefore!.Value, BalanceAfter = BalanceAfter!.Value, AppliedAtUtc = AtUtc,
        }
        : new DebitRejected
        {
            TransferId = TransferId, AccountNo = AccountNo, Amount = Amount, Currency = Currency,
            ReasonCode = ReasonCode ?? ReasonCodes.Cancelled, Reason = Reason ?? Outcome, AvailableBalance = AvailableBalance,
            RemainingDailyAllowance = RemainingAllowance, RejectedAtUtc = AtUtc,
        };

    /// <summary>The reply to CreditAccount: AccountCredited, or CreditRejected.</summary>
    public object ToCreditReply() => IsApplied
        ? new AccountCredited
        {
            TransferId = TransferId, AccountNo = AccountNo, Amount = Amount, Currency = Currency,
            BalanceBefore = BalanceBefore!.Value, BalanceAfter = BalanceAfter!.Value, AppliedAtUtc = AtUtc,
        }
        : new CreditRejected
        {
            TransferId = TransferId, AccountNo = AccountNo, Amount = Amount, Currency = Currency,
            ReasonCode = ReasonCode ?? ReasonCodes.Cancelled, Reason = Reason ?? Outcome, AvailableBalance = AvailableBalance, RejectedAtUtc = AtUtc,
        };

    public DebitReversed ToReversalReply() => new()
    {
        TransferId = TransferId, AccountNo = AccountNo, Amount = Amount, Currency = Currency,
        DebitWasApplied = IsApplied, BalanceBefore = BalanceBefore, BalanceAfter = BalanceAfter, ReversedAtUtc = AtUtc,
    };

    /// <summary>The answer to CancelDebit, from the debit's claim.</summary>
    public DebitCancelled ToDebitCancelReply(string accountNo) => new()
    {
        TransferId = TransferId, AccountNo = accountNo, WasAlreadyApplied = IsApplied,
        PriorRejectionCode = Outcome == LedgerOutcomes.Rejected ? ReasonCode : null, BalanceAfter = BalanceAfter, AnsweredAtUtc = DateTime.UtcNow,
    };

    /// <summary>The answer to CancelCredit, from the credit's claim.</summary>
    public CreditCancelled ToCreditCancelReply(string accountNo) => new()
    {
        TransferId = TransferId, AccountNo = accountNo, WasAlreadyApplied = IsApplied,
        PriorRejectionCode = Outcome == LedgerOutcomes.Rejected ? ReasonCode : null, BalanceAfter = BalanceAfter, AnsweredAtUtc = DateTime.UtcNow,
    };
}
