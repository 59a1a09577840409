namespace Banking.Contracts;

/// <summary>
/// Queue names shared by senders and receivers. Commands go to the one queue of the service that owns
/// the account's database; events are published to MassTransit's per-type exchanges.
/// </summary>
public static class Endpoints
{
    /// <summary>DebitService: DebitAccount, ReverseDebit, CancelDebit.</summary>
    public const string DebitLedger = "debit-ledger";

    /// <summary>CreditService: CreditAccount, CancelCredit.</summary>
    public const string CreditLedger = "credit-ledger";

    /// <summary>DebitService's read-only queries on DB1: GetAccountBalance, GetLedgerEntries, GetLedgerStatus.</summary>
    public const string DebitQueries = "debit-ledger-queries";

    /// <summary>CreditService's read-only queries on DB2: GetAccountBalance, GetLedgerEntries, GetLedgerStatus.</summary>
    public const string CreditQueries = "credit-ledger-queries";

    /// <summary>The orchestrator's saga: every transfer event lands here.</summary>
    public const string TransferSaga = "transfer-state";

    /// <summary>The orchestrator's queue for <c>ReadsAudited</c>: the gateway's reads, appended to the audit trail.</summary>
    public const string AuditedReads = "audit-reads";

    /// <summary>The orchestrator's answers to GetTransferStatus.</summary>
    public const string TransferStatus = "transfer-status";

    public static Uri Queue(string name) => new($"queue:{name}");
}
