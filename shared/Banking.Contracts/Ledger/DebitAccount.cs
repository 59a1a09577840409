namespace Banking.Contracts.Ledger;

/// <summary>Take money out of a source account in DB1. Applied at most once per transfer, whatever is redelivered.</summary>
public record DebitAccount
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public string? Narrative { get; init; }
}
