namespace Banking.Messaging.Audit;

/// <summary>
/// Something a service did or was asked to do, as its caller appends it to the audit trail: who (<see cref="Actor"/>,
/// a login, an operator, a channel; from <see cref="SourceAddress"/> when known), what (<see cref="Action"/>), on what
/// (<see cref="Subject"/>: a transfer id or a masked account number; never a full account number).
/// </summary>
public sealed record AuditEntry(string Action, string Actor, string Subject, string? Details = null, string? SourceAddress = null, DateTime? OccurredAtUtc = null);

/// <summary>
/// A row of <c>audit_log</c>: an <see cref="AuditEntry"/> at its place in a chain. <see cref="RowHash"/> is SHA-256 over
/// the row's canonical encoding, which includes <see cref="PreviousHash"/>: editing, deleting or reordering a row breaks
/// the chain from there on. Rows are only ever inserted (the table refuses UPDATE and DELETE).
/// </summary>
public class AuditRecord
{
    /// <summary>The chain the row belongs to: one per writer that appends concurrently (a group commit endpoint, the dashboard).</summary>
    public string Chain { get; set; } = "";

    /// <summary>1, 2, 3, ... within the chain, without gaps.</summary>
    public long Seq { get; set; }
    public DateTime OccurredAt { get; set; }
    public string Actor { get; set; } = "";
    public string Action { get; set; } = "";
    public string Subject { get; set; } = "";
    public string? SourceAddress { get; set; }
    public string? Details { get; set; }
    public string PreviousHash { get; set; } = "";
    public string RowHash { get; set; } = "";
}

/// <summary>
/// The end of a chain (<c>audit_chain</c>): locked by every transaction that appends to the chain, so rows get their
/// places one transaction after the other. It is not trusted by the verification, which recomputes everything, but it
/// shows when the chain's last rows were removed.
/// </summary>
public class AuditChainHead
{
    public string Chain { get; set; } = "";
    public long LastSeq { get; set; }
    public string LastHash { get; set; } = "";
}
