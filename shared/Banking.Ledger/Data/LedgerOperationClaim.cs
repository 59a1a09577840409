namespace Banking.Ledger.Data;

/// <summary>
/// The claim of one operation of one transfer (<c>ledger_operation</c>), unique on (transfer id, operation), with the
/// outcome it had. It is written in the same transaction as the balance change it records, so an operation is applied
/// at most once and every repeat is answered with the same outcome.
/// </summary>
public class LedgerOperationClaim
{
    public long Id { get; set; }
    public string TransferId { get; set; } = "";

    /// <summary>One of <see cref="LedgerOperationKinds"/>.</summary>
    public string Operation { get; set; } = "";
    public string AccountNo { get; set; } = "";
    public decimal Amount { get; set; }
    public string Currency { get; set; } = "";

    /// <summary>One of <see cref="LedgerOutcomes"/>.</summary>
    public string Outcome { get; set; } = "";
    public string? ReasonCode { get; set; }
    public string? Reason { get; set; }
    public decimal? AvailableBalance { get; set; }

    /// <summary>What the account (or its customer) could still send out that day, when refused <c>DAILY_LIMIT_EXCEEDED</c>.</summary>
    public decimal? RemainingAllowance { get; set; }
    public decimal? BalanceBefore { get; set; }
    public decimal? BalanceAfter { get; set; }

    /// <summary>The <c>rb_tran_hist.SEQ_NO</c> of the change, when there was one.</summary>
    public string? SeqNo { get; set; }
    public DateTime CreatedAt { get; set; }
}

public static class LedgerOperationKinds
{
    public const string Debit = "DEBIT";
    public const string Credit = "CREDIT";
    public const string ReverseDebit = "REVERSE_DEBIT";
}

public static class LedgerOutcomes
{
    public const string Applied = "APPLIED";
    public const string Rejected = "REJECTED";

    /// <summary>Fenced by a cancel before it was applied: it never will be.</summary>
    public const string Cancelled = "CANCELLED";

    /// <summary>Recorded, nothing to do (a reversal of a debit that never happened).</summary>
    public const string NoOp = "NOOP";
}
