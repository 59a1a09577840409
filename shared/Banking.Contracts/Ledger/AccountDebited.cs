namespace Banking.Contracts.Ledger;

/// <summary>The debit is applied: the source balance went from BalanceBefore to BalanceAfter.</summary>
public record AccountDebited
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public required decimal BalanceBefore { get; init; }
    public required decimal BalanceAfter { get; init; }
    public required DateTime AppliedAtUtc { get; init; }
}
