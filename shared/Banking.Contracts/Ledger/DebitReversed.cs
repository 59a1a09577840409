namespace Banking.Contracts.Ledger;

/// <summary>The reversal is recorded. When DebitWasApplied the amount was credited back (BalanceBefore/After are set); otherwise nothing had been taken and the debit is now fenced.</summary>
public record DebitReversed
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public required bool DebitWasApplied { get; init; }
    public decimal? BalanceBefore { get; init; }
    public decimal? BalanceAfter { get; init; }
    public required DateTime ReversedAtUtc { get; init; }
}
