namespace Banking.Contracts.Accounts;

/// <summary>A request for an account's balance, answered by the ledger service that holds the account.</summary>
public record GetAccountBalance
{
    public required string AccountNo { get; init; }
}
