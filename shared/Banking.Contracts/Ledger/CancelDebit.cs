namespace Banking.Contracts.Ledger;

/// <summary>"Cancel" means "fence": fences the transfer's debit, which if not yet applied never will be; never moves money. The answer says which.</summary>
public record CancelDebit
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
}
