namespace Banking.Contracts.Ledger;

/// <summary>Fence the transfer's credit: if it has not been applied it never will be. The answer says which.</summary>
public record CancelCredit
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
}
