namespace Banking.Contracts.Transfers;

/// <summary>The seed's <c>transfer_log.status</c>: what a caller is told about a transfer.</summary>
public static class TransferStatuses
{
    public const string Pending = "PENDING";
    public const string Success = "SUCCESS";
    public const string Failed = "FAILED";
    public const string Rollback = "ROLLBACK";

    /// <summary>SUCCESS, FAILED and ROLLBACK never change again; anything else (PENDING, none yet) may.</summary>
    public static bool IsFinal(string? status) => status is Success or Failed or Rollback;
}

/// <summary>
/// The saga's states, as stored in <c>transfer_log.current_state</c>. The orchestrator's state machine names its
/// states by these strings and checks so at start: rows in flight must still match after a rename.
/// </summary>
public static class TransferStateNames
{
    public const string Debiting = "Debiting";
    public const string Crediting = "Crediting";
    public const string Compensating = "Compensating";

    /// <summary>Fencing the debit (safe abort): the ledger refuses it forever unless it was applied already.</summary>
    public const string CancellingDebit = "CancellingDebit";

    /// <summary>Fencing the credit (safe abort): the ledger refuses it forever unless it was applied already.</summary>
    public const string CancellingCredit = "CancellingCredit";

    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string RolledBack = "RolledBack";

    /// <summary>The states in which a transfer still waits for a ledger's answer (the sweeper watches these).</summary>
    public static readonly IReadOnlyList<string> InFlight = [Debiting, Crediting, Compensating, CancellingDebit, CancellingCredit];

    /// <summary>The states a transfer ends in; nothing moves it out of them.</summary>
    public static readonly IReadOnlyList<string> Final = [Completed, Failed, RolledBack];

    public static readonly IReadOnlyList<string> All = [Debiting, Crediting, Compensating, CancellingDebit, CancellingCredit, Completed, Failed, RolledBack];
}
