namespace Banking.Contracts.Transfers;

/// <summary>
/// An operator asks the orchestrator to stop a transfer safely: the uncertain step is fenced first
/// (CancelDebit / CancelCredit) and money moves back only if the fence held.
/// </summary>
public record AbortTransfer
{
    public required string TransferId { get; init; }
    public required string RequestedBy { get; init; }
    public required string Reason { get; init; }
}
