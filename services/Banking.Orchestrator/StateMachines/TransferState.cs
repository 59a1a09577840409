using Banking.Contracts.Transfers;
using MassTransit;

namespace Banking.Orchestrator.StateMachines;

/// <summary>
/// One transfer: the seed's <c>transfer_log</c> row (its columns kept exactly) plus what the saga needs
/// to drive it. Only <see cref="TransferStateMachine"/> changes it.
/// </summary>
public class TransferState : SagaStateMachineInstance
{
    // The seed's transfer_log columns.
    public long Id { get; set; }
    public string TransferId { get; set; } = "";
    public string FromAccount { get; set; } = "";
    public string ToAccount { get; set; } = "";
    public decimal Amount { get; set; }
    public string Currency { get; set; } = "CNY";

    /// <summary>PENDING, SUCCESS, FAILED or ROLLBACK: the seed's view of <see cref="CurrentState"/>.</summary>
    public string Status { get; set; } = TransferStatuses.Pending;
    public string? ErrorMessage { get; set; }
    public DateTime? CreatedAt { get; set; }

    /// <summary>Maintained by the database (<c>ON UPDATE CURRENT_TIMESTAMP</c>), never written by the saga.</summary>
    public DateTime? UpdatedAt { get; set; }

    // Saga columns.
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = "";
    public string? Description { get; set; }
    public string? RequestedBy { get; set; }
    public string? Channel { get; set; }
    public string? RequestHash { get; set; }
    public string? TraceId { get; set; }

    /// <summary>One of the ledger's reason codes when the transfer failed or was rolled back.</summary>
    public string? ReasonCode { get; set; }

    /// <summary>The source account's balance when the debit was refused for insufficient funds.</summary>
    public decimal? AvailableBalance { get; set; }

    /// <summary>The seed's <c>new_balance</c>: the source account's balance right after the debit.</summary>
    public decimal? SourceBalanceAfter { get; set; }

    /// <summary>Attempts of the step in flight; the sweeper's timeout names the attempt it saw.</summary>
    public int StepAttempt { get; set; }
    public int DebitAttempts { get; set; }
    public int CreditAttempts { get; set; }
    public int ReversalAttempts { get; set; }
    public int CancelAttempts { get; set; }

    /// <summary>When the step in flight was last sent.</summary>
    public DateTime? StepSentAt { get; set; }

    /// <summary>The durable timeout: when the sweeper re-sends the step in flight. Null once final.</summary>
    public DateTime? NextAttemptAt { get; set; }

    public DateTime? DebitedAt { get; set; }
    public DateTime? CreditedAt { get; set; }
    public DateTime? CompletedAt { get; set; }

    /// <summary>Set when the debit was applied and its reversal has not yet been confirmed: money the bank owes back.</summary>
    public decimal? AmountAtRisk { get; set; }

    /// <summary>Who aborted, and why (operator actions are also in the timeline and the audit log).</summary>
    public string? AbortedBy { get; set; }
    public string? AbortReason { get; set; }

    /// <summary>Timeline entries produced while handling the current message; saved with the saga in the same transaction.</summary>
    public List<TransferTimelineEntry> PendingTimeline { get; } = [];

    // transfer_event.details is VARCHAR(1000) and actor VARCHAR(100): a timeline line must always be storable, or the
    // transition it belongs to could never be saved.
    public void Record(string eventType, string? state, string? details, string? actor = null) =>
        PendingTimeline.Add(new TransferTimelineEntry(eventType, state, null,
            details is { Length: > 1000 } ? details[..1000] : details, actor is { Length: > 100 } ? actor[..100] : actor, DateTime.UtcNow));
}

/// <summary>One line of a transfer's timeline: what happened, in which state, with which details.</summary>
public record TransferTimelineEntry(string EventType, string? FromState, string? ToState, string? Details, string? Actor, DateTime OccurredAt);
