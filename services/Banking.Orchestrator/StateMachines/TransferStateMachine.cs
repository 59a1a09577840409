using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Contracts.Transfers;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.StateMachines;

/// <summary>
/// Drives one transfer: debit the source in DB1, credit the destination in DB2, and reverse the debit when
/// the credit is definitely refused. It reads like the state table of ARCHITECTURE.md. Every step is sent
/// together with the saga's new state (one transaction through the outbox); a step without an answer by its
/// deadline is sent again by the sweeper (<see cref="TransferStepTimedOut"/>), and the ledger applies it once.
/// </summary>
public class TransferStateMachine : MassTransitStateMachine<TransferState>
{
    private readonly TransferOptions options;

    public TransferStateMachine(IOptions<TransferOptions> options)
    {
        this.options = options.Value;

        InstanceState(x => x.CurrentState);

        Event(() => Requested, x =>
        {
            x.CorrelateById(m => TransferIds.CorrelationIdFor(m.Message.TransferId));
            x.SetSagaFactory(m => new TransferState
            {
                CorrelationId = TransferIds.CorrelationIdFor(m.Message.TransferId),
                TransferId = m.Message.TransferId,
            });
        });
        Event(() => Debited, x => CorrelateByTransfer(x));
        Event(() => DebitRefused, x => CorrelateByTransfer(x));
        Event(() => Credited, x => CorrelateByTransfer(x));
        Event(() => CreditRefused, x => CorrelateByTransfer(x));
        Event(() => Reversed, x => CorrelateByTransfer(x));
        Event(() => DebitFenced, x => CorrelateByTransfer(x));
        Event(() => CreditFenced, x => CorrelateByTransfer(x));
        Event(() => TimedOut, x => CorrelateByTransfer(x));
        Event(() => RetryRequested, x => CorrelateByTransfer(x));
        Event(() => AbortRequested, x => CorrelateByTransfer(x));

        // Replies and operator commands that find no transfer are logged by MassTransit and dropped: there is nothing to drive.
        OnUnhandledEvent(context =>
        {
            context.Saga.Record("Ignored" + context.Event.Name, context.Saga.CurrentState, "not expected in this state (late or duplicate)");
            return context.Ignore();
        });

        Initially(
            When(Requested)
                .Then(context => Open(context.Saga, context.Message))
                .IfElse(context => RefusalOf(context.Message) is null,
                    valid => valid
                        .Then(context => StartStep(context.Saga, Step.Debit))
                        .Send(Endpoints.Queue(Endpoints.DebitLedger), context => DebitCommand(context.Saga))
                        .TransitionTo(Debiting),
                    invalid => invalid
                        .Then(context => Refuse(context.Saga, context.Message, RefusalOf(context.Message)!))
                        .Publish(context => FailedEvent(context.Saga))
                        .TransitionTo(Failed)));

        During(Debiting,
            When(Debited)
                .Then(context =>
                {
                    context.Saga.Record("AccountDebited", Debiting.Name, $"balance {context.Message.BalanceBefore} -> {context.Message.BalanceAfter}");
                    context.Saga.SourceBalanceAfter = context.Message.BalanceAfter;
                    context.Saga.DebitedAt = context.Message.AppliedAtUtc;
                    StartStep(context.Saga, Step.Credit);
                })
                .Send(Endpoints.Queue(Endpoints.CreditLedger), context => CreditCommand(context.Saga))
                .TransitionTo(Crediting),
            When(DebitRefused)
                .Then(context =>
                {
                    context.Saga.Record("DebitRejected", Debiting.Name, $"{context.Message.ReasonCode}: {context.Message.Reason}");
                    Finish(context.Saga, TransferStatuses.Failed, context.Message.ReasonCode, context.Message.Reason);
                    context.Saga.AvailableBalance = context.Message.AvailableBalance;
                })
                .Publish(context => FailedEvent(context.Saga))
                .TransitionTo(Failed),
            When(TimedOut, context => IsCurrentDeadline(context.Saga, context.Message))
                .Then(context => RetryStep(context.Saga, Step.Debit, "timeout", null))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => DebitCommand(context.Saga)),
            When(RetryRequested)
                .Then(context => RetryStep(context.Saga, Step.Debit, context.Message.Reason, context.Message.RequestedBy))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => DebitCommand(context.Saga)),
            When(AbortRequested)
                .Then(context => BeginAbort(context.Saga, context.Message, Step.CancelDebit))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => new CancelDebit { TransferId = context.Saga.TransferId, AccountNo = context.Saga.FromAccount })
                .TransitionTo(CancellingDebit));

        During(Crediting,
            When(Credited)
                .Then(context =>
                {
                    context.Saga.Record("AccountCredited", Crediting.Name, $"balance {context.Message.BalanceBefore} -> {context.Message.BalanceAfter}");
                    context.Saga.CreditedAt = context.Message.AppliedAtUtc;
                    Finish(context.Saga, TransferStatuses.Success, null, null);
                })
                .Publish(context => CompletedEvent(context.Saga))
                .TransitionTo(Completed),
            When(CreditRefused)
                .Then(context =>
                {
                    context.Saga.Record("CreditRejected", Crediting.Name, $"{context.Message.ReasonCode}: {context.Message.Reason}");
                    BeginCompensation(context.Saga, context.Message.ReasonCode, context.Message.Reason);
                })
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => ReverseCommand(context.Saga))
                .TransitionTo(Compensating),
            When(TimedOut, context => IsCurrentDeadline(context.Saga, context.Message))
                .Then(context => RetryStep(context.Saga, Step.Credit, "timeout", null))
                .Send(Endpoints.Queue(Endpoints.CreditLedger), context => CreditCommand(context.Saga)),
            When(RetryRequested)
                .Then(context => RetryStep(context.Saga, Step.Credit, context.Message.Reason, context.Message.RequestedBy))
                .Send(Endpoints.Queue(Endpoints.CreditLedger), context => CreditCommand(context.Saga)),
            When(AbortRequested)
                .Then(context => BeginAbort(context.Saga, context.Message, Step.CancelCredit))
                .Send(Endpoints.Queue(Endpoints.CreditLedger), context => new CancelCredit { TransferId = context.Saga.TransferId, AccountNo = context.Saga.ToAccount })
                .TransitionTo(CancellingCredit));

        // Safe abort, debit side: only the cancel's answer decides. Fenced -> nothing moved; already applied -> give it back.
        During(CancellingDebit,
            When(DebitFenced, context => !context.Message.WasAlreadyApplied)
                .Then(context =>
                {
                    context.Saga.Record("DebitCancelled", CancellingDebit.Name, "debit fenced; nothing moved");
                    Finish(context.Saga, TransferStatuses.Failed, ReasonCodes.AbortedByOperator, AbortMessage(context.Saga));
                })
                .Publish(context => FailedEvent(context.Saga))
                .TransitionTo(Failed),
            When(DebitFenced, context => context.Message.WasAlreadyApplied)
                .Then(context =>
                {
                    context.Saga.Record("DebitCancelled", CancellingDebit.Name, "debit had already been applied; reversing it");
                    context.Saga.SourceBalanceAfter = context.Message.BalanceAfter;
                    BeginCompensation(context.Saga, ReasonCodes.AbortedByOperator, AbortMessage(context.Saga));
                })
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => ReverseCommand(context.Saga))
                .TransitionTo(Compensating),
            When(TimedOut, context => IsCurrentDeadline(context.Saga, context.Message))
                .Then(context => RetryStep(context.Saga, Step.CancelDebit, "timeout", null))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => new CancelDebit { TransferId = context.Saga.TransferId, AccountNo = context.Saga.FromAccount }),
            When(RetryRequested)
                .Then(context => RetryStep(context.Saga, Step.CancelDebit, context.Message.Reason, context.Message.RequestedBy))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => new CancelDebit { TransferId = context.Saga.TransferId, AccountNo = context.Saga.FromAccount }));

        // Safe abort, credit side: fenced -> reverse the debit; already applied -> the transfer completed after all.
        During(CancellingCredit,
            When(CreditFenced, context => !context.Message.WasAlreadyApplied)
                .Then(context =>
                {
                    context.Saga.Record("CreditCancelled", CancellingCredit.Name, "credit fenced; reversing the debit");
                    BeginCompensation(context.Saga, ReasonCodes.AbortedByOperator, AbortMessage(context.Saga));
                })
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => ReverseCommand(context.Saga))
                .TransitionTo(Compensating),
            When(CreditFenced, context => context.Message.WasAlreadyApplied)
                .Then(context =>
                {
                    context.Saga.Record("CreditCancelled", CancellingCredit.Name, "credit had already been applied; the transfer completed");
                    context.Saga.CreditedAt ??= context.Message.AnsweredAtUtc;
                    Finish(context.Saga, TransferStatuses.Success, null, null);
                })
                .Publish(context => CompletedEvent(context.Saga))
                .TransitionTo(Completed),
            When(TimedOut, context => IsCurrentDeadline(context.Saga, context.Message))
                .Then(context => RetryStep(context.Saga, Step.CancelCredit, "timeout", null))
                .Send(Endpoints.Queue(Endpoints.CreditLedger), context => new CancelCredit { TransferId = context.Saga.TransferId, AccountNo = context.Saga.ToAccount }),
            When(RetryRequested)
                .Then(context => RetryStep(context.Saga, Step.CancelCredit, context.Message.Reason, context.Message.RequestedBy))
                .Send(Endpoints.Queue(Endpoints.CreditLedger), context => new CancelCredit { TransferId = context.Saga.TransferId, AccountNo = context.Saga.ToAccount }));

        // A reversal is never refused for business reasons; until it is confirmed the amount stays flagged at risk.
        During(Compensating,
            When(Reversed)
                .Then(context =>
                {
                    context.Saga.Record("DebitReversed", Compensating.Name, context.Message.DebitWasApplied
                        ? $"credited back; balance {context.Message.BalanceBefore} -> {context.Message.BalanceAfter}"
                        : "the debit had never been applied; it is now fenced");
                    context.Saga.AmountAtRisk = null;
                    if (context.Message.DebitWasApplied) context.Saga.SourceBalanceAfter = context.Message.BalanceAfter;
                    Finish(context.Saga, TransferStatuses.Rollback, context.Saga.ReasonCode, context.Saga.ErrorMessage);
                })
                .Publish(context => RolledBackEvent(context.Saga))
                .TransitionTo(RolledBack),
            When(TimedOut, context => IsCurrentDeadline(context.Saga, context.Message))
                .Then(context => RetryStep(context.Saga, Step.Reversal, "timeout", null))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => ReverseCommand(context.Saga)),
            When(RetryRequested)
                .Then(context => RetryStep(context.Saga, Step.Reversal, context.Message.Reason, context.Message.RequestedBy))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => ReverseCommand(context.Saga)),
            When(AbortRequested)
                .Then(context => context.Saga.Record("AbortRefused", Compensating.Name, "the debit is being reversed already; the transfer will end ROLLBACK", context.Message.RequestedBy)));

        // The same transfer id with other content is another request, not a repeat: it is refused on its own contract,
        // so nobody mistakes the refusal for the outcome of the transfer that owns the id. Checked before the repeats below.
        DuringAny(
            When(Requested, context => IsConflicting(context.Saga, context.Message))
                .Then(context => context.Saga.Record("ConflictingRequest", context.Saga.CurrentState, ConflictDetails(context.Saga, context.Message), Fit(context.Message.RequestedBy, TransferRules.MaxRequestedByLength)))
                .Publish(context => ConflictedEvent(context.Saga, context.Message, context.MessageId)));

        During(new[] { Debiting, Crediting, Compensating, CancellingDebit, CancellingCredit },
            When(Requested, context => !IsConflicting(context.Saga, context.Message))
                .Then(context => context.Saga.Record("DuplicateRequest", context.Saga.CurrentState, "same request again: nothing changes")));
        During(CancellingDebit, CancellingCredit,
            When(AbortRequested)
                .Then(context => context.Saga.Record("AbortRefused", context.Saga.CurrentState, "an abort is already in progress", context.Message.RequestedBy)));

        // A finished transfer answers a repeated request with its outcome, so a waiting caller learns it.
        During(Completed,
            When(Requested, context => !IsConflicting(context.Saga, context.Message))
                .Then(context => context.Saga.Record("DuplicateRequest", Completed.Name, "same request again: nothing changes"))
                .Publish(context => CompletedEvent(context.Saga)));
        During(Failed,
            When(Requested, context => !IsConflicting(context.Saga, context.Message))
                .Then(context => context.Saga.Record("DuplicateRequest", Failed.Name, "same request again: nothing changes"))
                .Publish(context => FailedEvent(context.Saga)));
        During(RolledBack,
            When(Requested, context => !IsConflicting(context.Saga, context.Message))
                .Then(context => context.Saga.Record("DuplicateRequest", RolledBack.Name, "same request again: nothing changes"))
                .Publish(context => RolledBackEvent(context.Saga)));
        During(Completed, Failed, RolledBack,
            When(RetryRequested)
                .Then(context => context.Saga.Record("RetryRefused", context.Saga.CurrentState, "the transfer is final", context.Message.RequestedBy)),
            When(AbortRequested)
                .Then(context => context.Saga.Record("AbortRefused", context.Saga.CurrentState, "the transfer is final", context.Message.RequestedBy)));

        // transfer_log.current_state keeps these names: a renamed property would strand every stored transfer in it.
        var named = States.Select(state => state.Name).Except([Initial.Name, Final.Name]).Order(StringComparer.Ordinal);
        if (!named.SequenceEqual(TransferStateNames.All.Order(StringComparer.Ordinal)))
            throw new InvalidOperationException($"The state machine's states ({string.Join(", ", named)}) are not TransferStateNames ({string.Join(", ", TransferStateNames.All)})");
    }

    public State Debiting { get; private set; } = null!;
    public State Crediting { get; private set; } = null!;
    public State Compensating { get; private set; } = null!;
    public State CancellingDebit { get; private set; } = null!;
    public State CancellingCredit { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State RolledBack { get; private set; } = null!;

    public Event<TransferRequested> Requested { get; private set; } = null!;
    public Event<AccountDebited> Debited { get; private set; } = null!;
    public Event<DebitRejected> DebitRefused { get; private set; } = null!;
    public Event<AccountCredited> Credited { get; private set; } = null!;
    public Event<CreditRejected> CreditRefused { get; private set; } = null!;
    public Event<DebitReversed> Reversed { get; private set; } = null!;
    public Event<DebitCancelled> DebitFenced { get; private set; } = null!;
    public Event<CreditCancelled> CreditFenced { get; private set; } = null!;
    public Event<TransferStepTimedOut> TimedOut { get; private set; } = null!;
    public Event<RetryTransfer> RetryRequested { get; private set; } = null!;
    public Event<AbortTransfer> AbortRequested { get; private set; } = null!;

    /// <summary>The states in which a transfer is still in flight (the sweeper watches these).</summary>
    public static readonly string[] InFlightStates = [.. TransferStateNames.InFlight];

    private enum Step { Debit, Credit, Reversal, CancelDebit, CancelCredit }

    private static void CorrelateByTransfer<T>(IEventCorrelationConfigurator<TransferState, T> x)
        where T : class
    {
        x.CorrelateById(m => TransferIds.CorrelationIdFor(TransferIdOf(m.Message)));
        x.OnMissingInstance(m => m.Discard());
    }

    private static string TransferIdOf(object message) => message switch
    {
        AccountDebited m => m.TransferId,
        DebitRejected m => m.TransferId,
        AccountCredited m => m.TransferId,
        CreditRejected m => m.TransferId,
        DebitReversed m => m.TransferId,
        DebitCancelled m => m.TransferId,
        CreditCancelled m => m.TransferId,
        TransferStepTimedOut m => m.TransferId,
        RetryTransfer m => m.TransferId,
        AbortTransfer m => m.TransferId,
        _ => throw new ArgumentException($"{message.GetType().Name} does not name a transfer"),
    };

    private static void Open(TransferState saga, TransferRequested request)
    {
        var now = DateTime.UtcNow;
        saga.TransferId = request.TransferId;
        // A malformed message is still recorded (as FAILED), so its fields are cut to the columns that keep them.
        saga.FromAccount = Fit(request.FromAccount, 50);
        saga.ToAccount = Fit(request.ToAccount, 50);
        saga.Currency = Fit(request.Currency, 3);
        saga.Description = request.Description is null ? null : Fit(request.Description, TransferRules.MaxDescriptionLength);
        // Free text from outside is cut to its column so that even a refused request is stored and answered; a
        // requested_by that does not fit is also refused (Check), never kept cut in the audit trail as if it were whole.
        saga.RequestedBy = request.RequestedBy is null ? null : Fit(request.RequestedBy, TransferRules.MaxRequestedByLength);
        saga.Channel = request.Channel is null ? null : Fit(request.Channel, 20);
        saga.RequestHash = request.RequestHash is null ? null : Fit(request.RequestHash, 64);
        saga.TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString();
        saga.Status = TransferStatuses.Pending;
        saga.CreatedAt = now;

        // transfer_log.amount is DECIMAL(20,2): a malformed amount is kept in the error message, never rounded into the column.
        saga.Amount = request.Amount > 0 && request.Amount <= TransferRules.MaxRepresentableAmount && decimal.Round(request.Amount, 2) == request.Amount
            ? request.Amount
            : 0m;
        saga.Record("TransferRequested", null, $"{request.Amount} {Fit(request.Currency, 3)} via {saga.Channel ?? "unknown channel"}", saga.RequestedBy);
    }

    internal static string Fit(string? value, int length) => value is null ? "" : value.Length <= length ? value : value[..length];

    /// <summary>One rule set for every channel: what the channel already found broken, then <see cref="TransferRules.Check"/>.</summary>
    private TransferRefusal? RefusalOf(TransferRequested request) =>
        request.ChannelRefusal ?? TransferRules.Check(request.TransferId, request.FromAccount, request.ToAccount, request.Amount, request.Currency,
            request.Description, request.RequestedBy, options.Limits);

    private static void Refuse(TransferState saga, TransferRequested request, TransferRefusal refusal)
    {
        var reasonCode = refusal.ReasonCode is ReasonCodes.LimitExceeded ? ReasonCodes.LimitExceeded : ReasonCodes.ValidationError;
        Finish(saga, TransferStatuses.Failed, reasonCode, $"{Fit(refusal.Field, 40)} {Fit(refusal.Message, 500)} (requested amount {request.Amount})");
        saga.Record("TransferRefused", null, $"{reasonCode}: {saga.ErrorMessage}");
    }

    /// <summary>
    /// A timeout counts only while it names the step, the attempt and the deadline the saga is waiting on; the deadline
    /// is compared to the microsecond because that is what bank_core keeps and the sweeper reads back.
    /// </summary>
    private static bool IsCurrentDeadline(TransferState saga, TransferStepTimedOut timeout) =>
        timeout.Step == saga.CurrentState
        && timeout.Attempt == saga.StepAttempt
        && saga.NextAttemptAt is { } deadline
        && ToMicroseconds(timeout.DeadlineUtc) == ToMicroseconds(deadline);

    private static long ToMicroseconds(DateTime value) => value.Ticks / 10;

    private void StartStep(TransferState saga, Step step)
    {
        saga.StepAttempt = 1;
        CountAttempt(saga, step);
        ScheduleDeadline(saga);
    }

    private void RetryStep(TransferState saga, Step step, string reason, string? actor)
    {
        saga.StepAttempt++;
        CountAttempt(saga, step);
        ScheduleDeadline(saga);
        saga.Record(actor is null ? "StepResent" : "OperatorRetry", saga.CurrentState, $"{step} attempt {saga.StepAttempt}: {reason}", actor);
    }

    private void BeginAbort(TransferState saga, AbortTransfer abort, Step fence)
    {
        saga.AbortedBy = abort.RequestedBy is null ? null : Fit(abort.RequestedBy, 100);
        saga.AbortReason = abort.Reason is null ? null : Fit(abort.Reason, 500);
        saga.Record("AbortRequested", saga.CurrentState, $"fencing with {fence}: {abort.Reason}", abort.RequestedBy);
        StartStep(saga, fence);
    }

    private void BeginCompensation(TransferState saga, string reasonCode, string reason)
    {
        saga.ReasonCode = reasonCode;
        saga.ErrorMessage = reason;
        saga.AmountAtRisk = saga.Amount;
        StartStep(saga, Step.Reversal);
    }

    private static void CountAttempt(TransferState saga, Step step)
    {
        switch (step)
        {
            case Step.Debit: saga.DebitAttempts++; break;
            case Step.Credit: saga.CreditAttempts++; break;
            case Step.Reversal: saga.ReversalAttempts++; break;
            default: saga.CancelAttempts++; break;
        }
    }

    private void ScheduleDeadline(TransferState saga)
    {
        var now = DateTime.UtcNow;
        saga.StepSentAt = now;
        saga.NextAttemptAt = now + options.Backoff(saga.StepAttempt);
    }

    private static void Finish(TransferState saga, string status, string? reasonCode, string? reason)
    {
        var now = DateTime.UtcNow;
        saga.Status = status;
        saga.ReasonCode = reasonCode;
        saga.ErrorMessage = reason;
        saga.CompletedAt = now;
        saga.NextAttemptAt = null;
    }

    private static string AbortMessage(TransferState saga) => $"aborted by {saga.AbortedBy}: {saga.AbortReason}";

    /// <summary>
    /// Another request under this transfer id: by fingerprint when both sides carry one, otherwise by the money-relevant
    /// fields the saga keeps.
    /// </summary>
    private static bool IsConflicting(TransferState saga, TransferRequested request) =>
        request.RequestHash is not null && saga.RequestHash is not null
            ? !string.Equals(request.RequestHash, saga.RequestHash, StringComparison.Ordinal)
            : request.FromAccount != saga.FromAccount || request.ToAccount != saga.ToAccount || request.Amount != saga.Amount
              || request.Currency != saga.Currency || request.Description != saga.Description;

    private static string ConflictDetails(TransferState saga, TransferRequested request) =>
        $"same reference, different request via {Fit(request.Channel ?? "unknown channel", 20)}: refused {ReasonCodes.DuplicateReference}; this transfer is unchanged";

    private static TransferRequestConflicted ConflictedEvent(TransferState saga, TransferRequested request, Guid? messageId) => new()
    {
        TransferId = saga.TransferId,
        ConflictingMessageId = request.RequestMessageId ?? messageId,
        Channel = request.Channel,
        ReasonCode = ReasonCodes.DuplicateReference,
        Reason = "the transfer id is already used by a transfer with other content",
        RefusedAtUtc = DateTime.UtcNow,
    };

    private static DebitAccount DebitCommand(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        AccountNo = saga.FromAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        Narrative = saga.Description,
    };

    private static CreditAccount CreditCommand(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        AccountNo = saga.ToAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        Narrative = saga.Description,
    };

    private static ReverseDebit ReverseCommand(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        AccountNo = saga.FromAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
    };

    private static TransferCompleted CompletedEvent(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        FromAccount = saga.FromAccount,
        ToAccount = saga.ToAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        SourceBalanceAfter = saga.SourceBalanceAfter ?? 0m,
        CompletedAtUtc = saga.CompletedAt ?? DateTime.UtcNow,
    };

    private static TransferFailed FailedEvent(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        FromAccount = saga.FromAccount,
        ToAccount = saga.ToAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        ReasonCode = saga.ReasonCode ?? ReasonCodes.ValidationError,
        Reason = saga.ErrorMessage ?? "",
        AvailableBalance = saga.AvailableBalance,
        Account = saga.ReasonCode == ReasonCodes.AccountNotFound || saga.ReasonCode == ReasonCodes.AccountRestricted || saga.ReasonCode == ReasonCodes.InsufficientBalance || saga.ReasonCode == ReasonCodes.CurrencyMismatch
            ? saga.FromAccount
            : null,
        FailedAtUtc = saga.CompletedAt ?? DateTime.UtcNow,
    };

    private static TransferRolledBack RolledBackEvent(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        FromAccount = saga.FromAccount,
        ToAccount = saga.ToAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        ReasonCode = saga.ReasonCode ?? ReasonCodes.AbortedByOperator,
        Reason = saga.ErrorMessage ?? "",
        Account = saga.ReasonCode == ReasonCodes.AbortedByOperator ? null : saga.ToAccount,
        RolledBackAtUtc = saga.CompletedAt ?? DateTime.UtcNow,
    };
}
