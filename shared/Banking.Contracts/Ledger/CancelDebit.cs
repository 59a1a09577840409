namespace Banking.Contracts.Ledger;

/// <summary>Fence the transfer's debit: if it has not been applied it never will be. The answer says which.</summary>
public record CancelDebit
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
}
