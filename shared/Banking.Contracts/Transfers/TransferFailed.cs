namespace Banking.Contracts.Transfers;

/// <summary>The transfer ended without moving any money (the debit was rejected or never applied).</summary>
public record TransferFailed
{
    public required string TransferId { get; init; }
    public required string FromAccount { get; init; }
    public required string ToAccount { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }

    /// <summary>One of <see cref="ReasonCodes"/>.</summary>
    public required string ReasonCode { get; init; }
    public required string Reason { get; init; }

    /// <summary>The source account's available balance when the reason is <see cref="ReasonCodes.InsufficientBalance"/>.</summary>
    public decimal? AvailableBalance { get; init; }

    /// <summary>What the source account may still send out today when the reason is <see cref="ReasonCodes.DailyLimitExceeded"/>.</summary>
    public decimal? RemainingDailyAllowance { get; init; }

    /// <summary>Which account the reason is about.</summary>
    public string? Account { get; init; }
    public required DateTime FailedAtUtc { get; init; }
}
