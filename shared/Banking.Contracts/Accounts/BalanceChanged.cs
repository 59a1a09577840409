namespace Banking.Contracts.Accounts;

/// <summary>Published in the same transaction as every balance change, so caches can drop what they hold.</summary>
public record BalanceChanged
{
    public required string AccountNo { get; init; }
    public required decimal Balance { get; init; }
    public required string Currency { get; init; }
    public required string TransferId { get; init; }
    public required DateTime ChangedAtUtc { get; init; }
}
