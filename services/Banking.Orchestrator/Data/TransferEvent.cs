namespace Banking.Orchestrator.Data;

/// <summary>A line of a transfer's timeline (<c>transfer_event</c>): every event the saga saw, for the dashboard and audits.</summary>
public class TransferEvent
{
    public long Id { get; set; }
    public string TransferId { get; set; } = "";
    public string EventType { get; set; } = "";
    public string? FromState { get; set; }
    public string? ToState { get; set; }
    public string? Details { get; set; }

    /// <summary>Who caused it: an operator for operator actions, the requester for the request, null for the system.</summary>
    public string? Actor { get; set; }
    public DateTime OccurredAt { get; set; }
}
