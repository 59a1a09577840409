using Banking.Contracts;
using Banking.Contracts.Transfers;
using Banking.Messaging.Audit;
using Banking.Messaging.Sagas;
using Banking.Orchestrator.Data;
using Banking.ServiceDefaults;
using MassTransit;

namespace Banking.Orchestrator.StateMachines;

/// <summary>
/// One transfer: the seed's <c>transfer_log</c> row (its columns kept exactly) plus what the saga needs
/// to drive it, and its step bookkeeping. Only <see cref="TransferStateMachine"/> changes it.
/// </summary>
public class TransferState : SagaStateMachineInstance, ISagaJournal
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

    /// <summary>
    /// The W3C <c>traceparent</c> of the span that opened the transfer: what the sweeper's re-sends hang from, so they
    /// continue the transfer's trace instead of starting one of their own.
    /// </summary>
    public string? TraceParent { get; set; }

    /// <summary>One of the ledger's reason codes when the transfer failed or was rolled back.</summary>
    public string? ReasonCode { get; set; }

    /// <summary>The source account's balance when the debit was refused for insufficient funds.</summary>
    public decimal? AvailableBalance { get; set; }

    /// <summary>What the source account could still send out that business date, when the debit was refused for the daily limit.</summary>
    public decimal? RemainingDailyAllowance { get; set; }

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

    /// <summary>The second operator who approved the abort, when it needed one (four eyes).</summary>
    public string? AbortApprovedBy { get; set; }

    /// <summary>
    /// An operator action waiting for a second operator (<see cref="OperatorActions"/>): what, who asked, why, when.
    /// Null when nothing waits. At most one waits at a time; it lapses when the transfer ends.
    /// </summary>
    public string? PendingAction { get; set; }
    public string? PendingActionBy { get; set; }
    public string? PendingActionReason { get; set; }
    public DateTime? PendingActionAt { get; set; }

    /// <summary>
    /// The timeline lines this instance recorded (not the ones stored before it was loaded); the saga repository stores
    /// the new ones with the instance, in the same transaction (<see cref="ISagaJournal"/>).
    /// </summary>
    public List<TransferEvent> Timeline { get; } = [];

    private int linesHandedOver;

    // Only for the request's audit entry, written with the message that started the transfer; never stored on the row.
    private string? requestAddress;

    /// <summary>Takes the request's fields; a malformed request is still recorded (as FAILED), so they are cut to their columns.</summary>
    public void Open(TransferRequested request)
    {
        TransferId = request.TransferId;
        FromAccount = Fit(request.FromAccount, 50);
        ToAccount = Fit(request.ToAccount, 50);
        Currency = Fit(request.Currency, 3);
        Description = request.Description is null ? null : Fit(request.Description, TransferRules.MaxDescriptionLength);
        // Free text from outside is cut to its column so that even a refused request is stored and answered; a
        // requested_by that does not fit is also refused (Check), never kept cut in the audit trail as if it were whole.
        RequestedBy = request.RequestedBy is null ? null : Fit(request.RequestedBy, TransferRules.MaxRequestedByLength);
        Channel = request.Channel is null ? null : Fit(request.Channel, 20);
        RequestHash = request.RequestHash is null ? null : Fit(request.RequestHash, 64);
        var span = System.Diagnostics.Activity.Current;
        TraceId = span?.TraceId.ToHexString();
        TraceParent = span is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } ? span.Id : null;
        Status = TransferStatuses.Pending;
        CreatedAt = DateTime.UtcNow;

        // transfer_log.amount is DECIMAL(20,2): a malformed amount is kept in the error message, never rounded into the column.
        Amount = request.Amount > 0 && request.Amount <= TransferRules.MaxRepresentableAmount && decimal.Round(request.Amount, 2) == request.Amount
            ? request.Amount
            : 0m;
        Record("TransferRequested", null, $"{request.Amount} {Fit(request.Currency, 3)} via {Channel ?? "unknown channel"}", RequestedBy);
        requestAddress = request.SourceAddress;
    }

    public void Refuse(TransferRequested request, TransferRefusal refusal)
    {
        var reasonCode = refusal.ReasonCode is ReasonCodes.LimitExceeded ? ReasonCodes.LimitExceeded : ReasonCodes.ValidationError;
        Finish(TransferStatuses.Failed, reasonCode, $"{Fit(refusal.Field, 40)} {Fit(refusal.Message, 500)} (requested amount {request.Amount})");
        Record("TransferRefused", null, $"{reasonCode}: {ErrorMessage}");
    }

    /// <summary>
    /// A timeout counts only while it names the step, the attempt and the deadline the saga is waiting on; the deadline
    /// is compared to the microsecond because that is what bank_core keeps and the sweeper reads back.
    /// </summary>
    public bool IsWaitingOn(TransferStepTimedOut timeout) =>
        timeout.Step == CurrentState
        && timeout.Attempt == StepAttempt
        && NextAttemptAt is { } deadline
        && ToMicroseconds(timeout.DeadlineUtc) == ToMicroseconds(deadline);

    public void StartStep(TransferStep step, TransferOptions options)
    {
        StepAttempt = 1;
        CountAttempt(step);
        ScheduleDeadline(options);
    }

    public void RetryStep(TransferStep step, string reason, string? actor, TransferOptions options)
    {
        StepAttempt++;
        CountAttempt(step);
        ScheduleDeadline(options);
        Record(actor is null ? "StepResent" : "OperatorRetry", CurrentState, $"{step} attempt {StepAttempt}: {reason}", actor);
    }

    public void BeginAbort(AbortTransfer abort, TransferStep fence, TransferOptions options)
    {
        AbortedBy = abort.RequestedBy is null ? null : Fit(abort.RequestedBy, 100);
        AbortReason = abort.Reason is null ? null : Fit(abort.Reason, 500);
        Record("AbortRequested", CurrentState, $"fencing with {fence}: {abort.Reason}", abort.RequestedBy);
        StartStep(fence, options);
    }

    /// <summary>The abort a first operator asked for, now approved by a second: carried out in the first one's name.</summary>
    public void BeginApprovedAbort(ApproveOperatorAction approval, TransferStep fence, TransferOptions options)
    {
        AbortedBy = Fit(PendingActionBy, 100);
        AbortReason = Fit(PendingActionReason, 500);
        AbortApprovedBy = Fit(approval.ApprovedBy, 100);
        Record("AbortApproved", CurrentState, ApprovalDetails(approval, $"fencing with {fence}"), approval.ApprovedBy);
        ClearPendingAction();
        StartStep(fence, options);
    }

    /// <summary>The retry a first operator asked for, now approved by a second: the step is sent again now.</summary>
    public void RetryApprovedStep(ApproveOperatorAction approval, TransferStep step, TransferOptions options)
    {
        Record("RetryApproved", CurrentState, ApprovalDetails(approval, $"resending {step}"), approval.ApprovedBy);
        var reason = $"{PendingActionReason} (asked by {PendingActionBy}, approved by {approval.ApprovedBy})";
        ClearPendingAction();
        RetryStep(step, reason, approval.ApprovedBy, options);
    }

    /// <summary>
    /// An operator's retry or abort above the four-eyes threshold: kept until a second operator decides. A second
    /// request while one waits is refused (recorded), never queued behind it.
    /// </summary>
    public void AwaitSecondOperator(string action, string requestedBy, string reason)
    {
        if (PendingAction is not null)
        {
            Record(Verb(action) + "Refused", CurrentState, $"a {PendingAction.ToLowerInvariant()} asked by {PendingActionBy} is waiting for a second operator", requestedBy);
            return;
        }

        PendingAction = action;
        PendingActionBy = Fit(requestedBy, 100);
        PendingActionReason = Fit(reason, 500);
        PendingActionAt = DateTime.UtcNow;
        Record(Verb(action) + "AwaitingApproval", CurrentState, $"{Amount:0.00} {Currency} is above the four-eyes threshold; a second operator must approve: {reason}", requestedBy);
    }

    /// <summary>The approval names the action waiting, and comes from someone other than who asked.</summary>
    public bool IsApprovedBy(ApproveOperatorAction approval) =>
        PendingAction is not null
        && approval.Action == PendingAction
        && !string.Equals(approval.ApprovedBy, PendingActionBy, StringComparison.Ordinal);

    /// <summary>Records why an approval changes nothing; an action that can no longer be carried out lapses.</summary>
    public void RefuseApproval(ApproveOperatorAction approval, bool actionPossibleHere)
    {
        string why;
        if (PendingAction is null || approval.Action != PendingAction) why = $"no {approval.Action.ToLowerInvariant()} is waiting for approval";
        else if (string.Equals(approval.ApprovedBy, PendingActionBy, StringComparison.Ordinal)) why = "the operator who asked cannot approve their own request";
        else if (!actionPossibleHere) why = $"a {approval.Action.ToLowerInvariant()} is no longer possible in state {CurrentState}";
        else why = "refused";

        Record("ApprovalRefused", CurrentState, why, approval.ApprovedBy);
        if (PendingAction is not null && approval.Action == PendingAction && !actionPossibleHere) LapsePendingAction($"it lapsed: {why}");
    }

    public void Reject(RejectOperatorAction rejection)
    {
        if (PendingAction is null || rejection.Action != PendingAction)
        {
            Record("RejectionRefused", CurrentState, $"no {rejection.Action.ToLowerInvariant()} is waiting for approval", rejection.RejectedBy);
            return;
        }

        var withdrawn = string.Equals(rejection.RejectedBy, PendingActionBy, StringComparison.Ordinal);
        Record(Verb(PendingAction) + (withdrawn ? "Withdrawn" : "Rejected"), CurrentState,
            $"{Verb(PendingAction).ToLowerInvariant()} asked by {PendingActionBy} ({PendingActionReason}): {rejection.Reason}", rejection.RejectedBy);
        ClearPendingAction();
    }

    private void LapsePendingAction(string why)
    {
        Record(Verb(PendingAction!) + "Lapsed", CurrentState, $"{Verb(PendingAction!).ToLowerInvariant()} asked by {PendingActionBy}: {why}");
        ClearPendingAction();
    }

    private void ClearPendingAction()
    {
        PendingAction = null;
        PendingActionBy = null;
        PendingActionReason = null;
        PendingActionAt = null;
    }

    private string ApprovalDetails(ApproveOperatorAction approval, string what) =>
        $"{what}: asked by {PendingActionBy} ({PendingActionReason}), approved{(string.IsNullOrWhiteSpace(approval.Reason) ? "" : ": " + approval.Reason)}";

    private static string Verb(string action) => action == OperatorActions.Abort ? "Abort" : "Retry";

    public void BeginCompensation(string reasonCode, string reason, TransferOptions options)
    {
        ReasonCode = reasonCode;
        ErrorMessage = reason;
        AmountAtRisk = Amount;
        StartStep(TransferStep.Reversal, options);
    }

    public void Finish(string status, string? reasonCode, string? reason)
    {
        Status = status;
        ReasonCode = reasonCode;
        ErrorMessage = reason;
        CompletedAt = DateTime.UtcNow;
        NextAttemptAt = null;
        if (PendingAction is not null) LapsePendingAction($"the transfer ended {status}");
    }

    public string AbortMessage => AbortApprovedBy is null
        ? $"aborted by {AbortedBy}: {AbortReason}"
        : $"aborted by {AbortedBy}, approved by {AbortApprovedBy}: {AbortReason}";

    /// <summary>
    /// Another request under this transfer id: by fingerprint when both sides carry one, otherwise by the money-relevant
    /// fields the saga keeps.
    /// </summary>
    public bool IsConflicting(TransferRequested request) =>
        request.RequestHash is not null && RequestHash is not null
            ? !string.Equals(request.RequestHash, RequestHash, StringComparison.Ordinal)
            : request.FromAccount != FromAccount || request.ToAccount != ToAccount || request.Amount != Amount
              || request.Currency != Currency || request.Description != Description;

    public void RecordConflict(TransferRequested request) =>
        Record("ConflictingRequest", CurrentState,
            $"same reference, different request via {Fit(request.Channel ?? "unknown channel", 20)}: refused {ReasonCodes.DuplicateReference}; this transfer is unchanged",
            Fit(request.RequestedBy, TransferRules.MaxRequestedByLength));

    private void CountAttempt(TransferStep step)
    {
        switch (step)
        {
            case TransferStep.Debit: DebitAttempts++; break;
            case TransferStep.Credit: CreditAttempts++; break;
            case TransferStep.Reversal: ReversalAttempts++; break;
            default: CancelAttempts++; break;
        }
    }

    private void ScheduleDeadline(TransferOptions options)
    {
        var now = DateTime.UtcNow;
        StepSentAt = now;
        NextAttemptAt = now + options.Backoff(StepAttempt);
    }

    private static long ToMicroseconds(DateTime value) => value.Ticks / 10;

    internal static string Fit(string? value, int length) => value is null ? "" : value.Length <= length ? value : value[..length];

    // transfer_event.details is VARCHAR(1000), actor VARCHAR(100) and event_type VARCHAR(40): a timeline line must always
    // be storable, or the transition it belongs to could never be saved.
    public void Record(string eventType, string? state, string? details, string? actor = null) =>
        Timeline.Add(new TransferEvent
        {
            TransferId = TransferId,
            EventType = Cut(eventType, 40)!,
            FromState = state,
            Details = Cut(details, 1000),
            Actor = Cut(actor, 100),
            OccurredAt = DateTime.UtcNow,
        });

    /// <summary>A line's <see cref="TransferEvent.ToState"/> is the state the message left the transfer in, known only now.</summary>
    IReadOnlyCollection<object> ISagaJournal.TakeNewRows()
    {
        var lines = Timeline.Skip(linesHandedOver).ToList();
        var rows = new List<object>(lines.Count);
        foreach (var line in lines)
        {
            line.TransferId = TransferId;
            line.ToState ??= CurrentState;
            rows.Add(line);
            // A line someone asked for (the request, an operator's action and its approval) is also in the audit trail.
            if (line.Actor is not null)
            {
                rows.Add(new AuditEntry(
                    line.EventType, line.Actor, TransferId,
                    AccountMasking.MaskAll($"{line.FromState ?? "(new)"} -> {line.ToState}: {line.Details}"),
                    line.EventType == "TransferRequested" ? requestAddress : null,
                    line.OccurredAt));
            }
        }

        linesHandedOver = Timeline.Count;
        return rows;
    }

    private static string? Cut(string? value, int length) => value is null || value.Length <= length ? value : value[..length];
}

