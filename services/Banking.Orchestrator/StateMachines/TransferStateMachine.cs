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
                .IfElse(context => TransferRules.Validate(context.Message.TransferId, context.Message.FromAccount, context.Message.ToAccount,
                            context.Message.Amount, context.Message.Currency, context.Message.Description) is null,
                    valid => valid
                        .Then(context => StartStep(context.Saga, Step.Debit))
                        .Send(Endpoints.Queue(Endpoints.DebitLedger), context => DebitCommand(context.Saga))
                        .TransitionTo(Debiting),
                    invalid => invalid
                        .Then(context => RefuseMalformed(context.Saga, context.Message))
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
            When(TimedOut, context => context.Message.Attempt == context.Saga.StepAttempt)
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
            When(TimedOut, context => context.Message.Attempt == context.Saga.StepAttempt)
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
            When(TimedOut, context => context.Message.Attempt == context.Saga.StepAttempt)
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
            When(TimedOut, context => context.Message.Attempt == context.Saga.StepAttempt)
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
            When(TimedOut, context => context.Message.Attempt == context.Saga.StepAttempt)
                .Then(context => RetryStep(context.Saga, Step.Reversal, "timeout", null))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => ReverseCommand(context.Saga)),
            When(RetryRequested)
                .Then(context => RetryStep(context.Saga, Step.Reversal, context.Message.Reason, context.Message.RequestedBy))
                .Send(Endpoints.Queue(Endpoints.DebitLedger), context => ReverseCommand(context.Saga)),
            When(AbortRequested)
                .Then(context => context.Saga.Record("AbortRefused", Compensating.Name, "the debit is being reversed already; the transfer will end ROLLBACK", context.Message.RequestedBy)));

        During(new[] { Debiting, Crediting, Compensating, CancellingDebit, CancellingCredit },
            When(Requested)
                .Then(context => context.Saga.Record("DuplicateRequest", context.Saga.CurrentState, DuplicateDetails(context.Saga, context.Message))));
        During(CancellingDebit, CancellingCredit,
            When(AbortRequested)
                .Then(context => context.Saga.Record("AbortRefused", context.Saga.CurrentState, "an abort is already in progress", context.Message.RequestedBy)));

        // A finished transfer answers a repeated request with its outcome, so a waiting caller learns it.
        During(Completed,
            When(Requested)
                .Then(context => context.Saga.Record("DuplicateRequest", Completed.Name, DuplicateDetails(context.Saga, context.Message)))
                .Publish(context => CompletedEvent(context.Saga)));
        During(Failed,
            When(Requested)
                .Then(context => context.Saga.Record("DuplicateRequest", Failed.Name, DuplicateDetails(context.Saga, context.Message)))
                .Publish(context => FailedEvent(context.Saga)));
        During(RolledBack,
            When(Requested)
                .Then(context => context.Saga.Record("DuplicateRequest", RolledBack.Name, DuplicateDetails(context.Saga, context.Message)))
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
        saga.RequestedBy = request.RequestedBy;
        saga.Channel = request.Channel;
        saga.RequestHash = request.RequestHash;
        saga.TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString();
        saga.Status = TransferStatuses.Pending;
        saga.CreatedAt = now;

        // transfer_log.amount is DECIMAL(20,2): a malformed amount is kept in the error message, never rounded into the column.
        saga.Amount = request.Amount > 0 && request.Amount <= TransferRules.MaxRepresentableAmount && decimal.Round(request.Amount, 2) == request.Amount
            ? request.Amount
            : 0m;
        saga.Record("TransferRequested", null, $"{request.Amount} {request.Currency} via {request.Channel ?? "unknown channel"}", request.RequestedBy);
    }

    private static string Fit(string? value, int length) => value is null ? "" : value.Length <= length ? value : value[..length];

    private static void RefuseMalformed(TransferState saga, TransferRequested request)
    {
        var (field, message) = TransferRules.Validate(request.TransferId, request.FromAccount, request.ToAccount, request.Amount, request.Currency, request.Description)!.Value;
        Finish(saga, TransferStatuses.Failed, ReasonCodes.ValidationError, $"{field} {message} (requested amount {request.Amount})");
    }

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
        saga.AbortedBy = abort.RequestedBy;
        saga.AbortReason = abort.Reason;
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

    private static string DuplicateDetails(TransferState saga, TransferRequested request) =>
        request.RequestHash is not null && saga.RequestHash is not null && request.RequestHash != saga.RequestHash
            ? "same reference, different request: ignored"
            : "same request again: nothing changes";

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
