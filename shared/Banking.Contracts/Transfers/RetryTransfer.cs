namespace Banking.Contracts.Transfers;

/// <summary>An operator asks the orchestrator to re-send the step a transfer is waiting on, now.</summary>
public record RetryTransfer
{
    public required string TransferId { get; init; }
    public required string RequestedBy { get; init; }
    public required string Reason { get; init; }
}
