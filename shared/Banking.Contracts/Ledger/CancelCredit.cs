namespace Banking.Contracts.Ledger;

/// <summary>"Cancel" means "fence": fences the transfer's credit, which if not yet applied never will be; never moves money. The answer says which.</summary>
public record CancelCredit
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
}
