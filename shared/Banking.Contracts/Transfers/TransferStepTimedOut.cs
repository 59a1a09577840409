namespace Banking.Contracts.Transfers;

/// <summary>
/// Published by the orchestrator's sweeper when a transfer's current step has had no answer by its deadline. It names
/// the step (the saga state it was seen in), the attempt and the deadline it saw: the saga acts only when all three are
/// still current, so a late or repeated timeout of an earlier step or attempt is ignored (attempts restart at 1 with
/// every step, so the attempt alone cannot tell a debit's timeout from the credit's).
/// </summary>
public record TransferStepTimedOut
{
    public required string TransferId { get; init; }

    /// <summary>The saga state whose step timed out (<c>Debiting</c>, <c>Crediting</c>, ...).</summary>
    public required string Step { get; init; }
    public required int Attempt { get; init; }
    public required DateTime DeadlineUtc { get; init; }
}
