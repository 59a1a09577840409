namespace Banking.Contracts.Transfers;

/// <summary>
/// The operator actions on a transfer in flight. Above <c>Transfers:FourEyesThreshold</c> each one needs a second
/// operator: the first asks (<see cref="RetryTransfer"/>, <see cref="AbortTransfer"/>), the saga keeps the request,
/// and another operator approves (<see cref="ApproveOperatorAction"/>) or rejects it (<see cref="RejectOperatorAction"/>).
/// </summary>
public static class OperatorActions
{
    public const string Retry = "RETRY";
    public const string Abort = "ABORT";

    public static readonly string[] All = [Retry, Abort];
}

/// <summary>A second operator approves the action waiting on the transfer; the saga then carries it out.</summary>
public record ApproveOperatorAction
{
    public required string TransferId { get; init; }

    /// <summary><see cref="OperatorActions.Retry"/> or <see cref="OperatorActions.Abort"/>: what the approver saw waiting.</summary>
    public required string Action { get; init; }

    public required string ApprovedBy { get; init; }
    public string? Reason { get; init; }
}

/// <summary>An operator turns down (or the one who asked withdraws) the action waiting on the transfer.</summary>
public record RejectOperatorAction
{
    public required string TransferId { get; init; }
    public required string Action { get; init; }
    public required string RejectedBy { get; init; }
    public required string Reason { get; init; }
}
