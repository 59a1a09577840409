namespace Banking.Contracts.Transfers;

/// <summary>A request for a transfer's record, answered by the orchestrator with <see cref="TransferStatus"/>.</summary>
public record GetTransferStatus
{
    public required string TransferId { get; init; }
}
