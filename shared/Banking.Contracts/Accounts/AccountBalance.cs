namespace Banking.Contracts.Accounts;

/// <summary>The answer to <see cref="GetAccountBalance"/>. <see cref="Found"/> is false when this ledger does not hold the account.</summary>
public record AccountBalance
{
    public required string AccountNo { get; init; }
    public required bool Found { get; init; }
    public decimal Balance { get; init; }
    public string? Currency { get; init; }

    /// <summary>The seed's <c>ACCT_STATUS</c>: <c>A</c> active; anything else restricts the account.</summary>
    public string? Status { get; init; }
    public string? ClientNo { get; init; }
    public DateTime? LastUpdatedUtc { get; init; }
}
