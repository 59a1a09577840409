namespace Banking.Contracts.Ledger;

/// <summary>The debit was refused and recorded as refused: it will never be applied for this transfer.</summary>
public record DebitRejected
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }

    /// <summary>One of <see cref="ReasonCodes"/>.</summary>
    public required string ReasonCode { get; init; }
    public required string Reason { get; init; }

    /// <summary>Set when the reason is <see cref="ReasonCodes.InsufficientBalance"/>.</summary>
    public decimal? AvailableBalance { get; init; }

    /// <summary>
    /// Set when the reason is <see cref="ReasonCodes.DailyLimitExceeded"/>: what the account (or its customer, whichever
    /// is less) may still send out on this business date.
    /// </summary>
    public decimal? RemainingDailyAllowance { get; init; }
    public required DateTime RejectedAtUtc { get; init; }
}
