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

    /// <summary>The queues above: durable, declared by their consumer alone (as quorum queues, with its arguments).</summary>
    public static readonly IReadOnlySet<string> DurableQueues =
        new HashSet<string>(StringComparer.Ordinal) { DebitLedger, CreditLedger, DebitQueries, CreditQueries, TransferSaga, AuditedReads, TransferStatus };

    /// <summary>
    /// The address to send to the queue <paramref name="name"/>: its exchange, which its consumer binds to the queue.
    /// Not <c>queue:</c>, with which the sender would declare the queue itself, without the arguments the consumer
    /// declared it with, and RabbitMQ refuses a second declaration that differs. The sends are mandatory
    /// (Banking.ServiceDefaults' BankQueueSends): a message no queue takes yet is refused, not dropped.
    /// </summary>
    public static Uri Queue(string name) => new($"exchange:{name}");

    /// <summary>Whether <paramref name="address"/> (short or full) names one of <see cref="DurableQueues"/>.</summary>
    public static bool IsDurableQueue(Uri? address)
    {
        if (address is null) return false;
        var path = address.IsAbsoluteUri ? address.AbsolutePath : address.OriginalString;
        return DurableQueues.Contains(path.Split('/')[^1]);
    }
}
