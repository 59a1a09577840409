namespace Banking.Contracts.Transfers;

/// <summary>The seed's transfer status record (<c>transfer_log</c>) plus the reason of a failure.</summary>
public record TransferStatus
{
    public required string TransferId { get; init; }
    public required bool Found { get; init; }

    /// <summary>The row's place in <c>transfer_log</c>: a list's page ends at the smallest.</summary>
    public long LogId { get; init; }

    /// <summary>The seed's status: PENDING, SUCCESS, FAILED or ROLLBACK.</summary>
    public string? Status { get; init; }
    public string? State { get; init; }
    public string? FromAccount { get; init; }
    public string? ToAccount { get; init; }
    public decimal Amount { get; init; }
    public string? Currency { get; init; }
    public string? Description { get; init; }
    public string? ReasonCode { get; init; }
    public string? ErrorMessage { get; init; }
    public decimal? SourceBalanceAfter { get; init; }
    public decimal? AvailableBalance { get; init; }
    public string? RequestHash { get; init; }
    public DateTime? CreatedAtUtc { get; init; }
    public DateTime? CompletedAtUtc { get; init; }
}
