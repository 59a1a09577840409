namespace Banking.Contracts.Transfers;

/// <summary>The debit was applied, the credit was definitely refused (or fenced by an abort), and the debit was reversed: net zero.</summary>
public record TransferRolledBack
{
    public required string TransferId { get; init; }
    public required string FromAccount { get; init; }
    public required string ToAccount { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public required string ReasonCode { get; init; }
    public required string Reason { get; init; }
    public string? Account { get; init; }
    public required DateTime RolledBackAtUtc { get; init; }
}
