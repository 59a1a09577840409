namespace Banking.Contracts.Ledger;

/// <summary>The credit was refused and recorded as refused: a definite answer, the saga compensates.</summary>
public record CreditRejected
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }

    /// <summary>One of <see cref="ReasonCodes"/>.</summary>
    public required string ReasonCode { get; init; }
    public required string Reason { get; init; }

    /// <summary>Set when the reason is <see cref="ReasonCodes.InsufficientBalance"/>.</summary>
    public decimal? AvailableBalance { get; init; }
    public required DateTime RejectedAtUtc { get; init; }
}
