namespace Banking.Contracts.Transfers;

/// <summary>The debit and the credit are both applied. <see cref="SourceBalanceAfter"/> is the seed's <c>new_balance</c>.</summary>
public record TransferCompleted
{
    public required string TransferId { get; init; }
    public required string FromAccount { get; init; }
    public required string ToAccount { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public required decimal SourceBalanceAfter { get; init; }
    public required DateTime CompletedAtUtc { get; init; }
}
