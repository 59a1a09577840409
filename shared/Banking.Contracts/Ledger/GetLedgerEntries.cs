namespace Banking.Contracts.Ledger;

/// <summary>
/// What one ledger holds about a transfer: its history rows and recorded operations. Asked by the dashboard
/// through the ledger service, which alone reads its database.
/// </summary>
public record GetLedgerEntries
{
    public required string TransferId { get; init; }
}

public record LedgerEntries
{
    public required string TransferId { get; init; }
    public required string Ledger { get; init; }
    public required IReadOnlyList<LedgerHistoryRow> History { get; init; }
    public required IReadOnlyList<LedgerOperationRow> Operations { get; init; }
}

/// <summary>One <c>rb_tran_hist</c> row.</summary>
public record LedgerHistoryRow
{
    public required string SeqNo { get; init; }
    public required string AccountNo { get; init; }
    public string? TranType { get; init; }
    public string? CrDrInd { get; init; }
    public decimal Amount { get; init; }
    public decimal? PreviousBalance { get; init; }
    public decimal? ActualBalance { get; init; }
    public string? TranStatus { get; init; }
    public string? Narrative { get; init; }
    public DateTime? TranDateUtc { get; init; }
}

/// <summary>One recorded operation (claim) of the transfer in this ledger, applied or not.</summary>
public record LedgerOperationRow
{
    public required string Operation { get; init; }
    public required string Outcome { get; init; }
    public string? ReasonCode { get; init; }
    public string? Reason { get; init; }
    public decimal Amount { get; init; }
    public DateTime RecordedAtUtc { get; init; }
}

/// <summary>The health of a ledger service's delivery: messages committed but not yet handed to the broker.</summary>
public record GetLedgerStatus
{
    public string? Requester { get; init; }
}

public record LedgerStatus
{
    public required string Ledger { get; init; }
    public required int OutboxBacklog { get; init; }
    public DateTime? OldestOutboxMessageUtc { get; init; }
}
