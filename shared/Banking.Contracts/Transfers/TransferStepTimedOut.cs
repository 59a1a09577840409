namespace Banking.Contracts.Transfers;

/// <summary>
/// Published by the orchestrator's sweeper when a transfer's current step has had no answer by its
/// deadline. <see cref="Attempt"/> is the attempt the sweeper saw, so a late or repeated timeout for an
/// attempt that has moved on is ignored.
/// </summary>
public record TransferStepTimedOut
{
    public required string TransferId { get; init; }
    public required int Attempt { get; init; }
    public required DateTime DeadlineUtc { get; init; }
}
