namespace Banking.Contracts.Ledger;

/// <summary>Pay money into a destination account in DB2. Applied at most once per transfer, whatever is redelivered.</summary>
public record CreditAccount
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public string? Narrative { get; init; }
}
