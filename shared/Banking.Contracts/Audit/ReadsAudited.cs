namespace Banking.Contracts.Audit;

/// <summary>
/// Reads the gateway answered (balances, statements, transfers), for the audit trail: the gateway keeps no database,
/// so it sends them, several at a time, to the orchestrator, which appends them to <c>bank_core</c>'s trail.
/// </summary>
public record ReadsAudited
{
    public required IReadOnlyList<AuditedRead> Reads { get; init; }
}

/// <summary>One read: who looked (<see cref="Actor"/>), from where, at what (<see cref="Subject"/>: an account number or a transfer id).</summary>
public record AuditedRead
{
    /// <summary>E.g. <c>BalanceRead</c>, <c>TransactionsRead</c>, <c>TransferRead</c>, <c>TransfersListed</c>.</summary>
    public required string Action { get; init; }
    public required string Actor { get; init; }
    public required string Subject { get; init; }
    public string? SourceAddress { get; init; }
    public string? Details { get; init; }
    public required DateTime ReadAtUtc { get; init; }
}
