namespace Banking.Contracts.Ledger;

/// <summary>"Cancel" means "fence": the answer to CancelDebit, which fenced the debit or found it applied; it never moves money.</summary>
public record DebitCancelled
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }

    /// <summary>
    /// False: the operation is fenced and will never be applied. True: it had already been applied
    /// before the cancel arrived (then <c>BalanceAfter</c> is the balance it left), so the transfer must go on.
    /// </summary>
    public required bool WasAlreadyApplied { get; init; }

    /// <summary>Set when the operation had been refused before the cancel: its reason code.</summary>
    public string? PriorRejectionCode { get; init; }
    public decimal? BalanceAfter { get; init; }
    public required DateTime AnsweredAtUtc { get; init; }
}
