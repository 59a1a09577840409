using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Contracts.Transfers;
using Banking.Orchestrator.Transfers;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.StateMachines;

/// <summary>
/// Drives one transfer: debit the source in DB1, credit the destination in DB2, and reverse the debit when
/// the credit is definitely refused. It reads like the state table of docs/ARCHITECTURE.md. Every step is sent
/// together with the saga's new state (one transaction through the outbox); a step without an answer by its
/// deadline is sent again by the sweeper (<see cref="TransferStepTimedOut"/>), and the ledger applies it once.
/// The clauses the table repeats per state are in TransferStateMachine.Clauses.cs.
/// </summary>
public partial class TransferStateMachine : MassTransitStateMachine<TransferState>
{
    private readonly TransferOptions options;

    public TransferStateMachine(IOptions<TransferOptions> options, TransferMetrics metrics)
    {
        this.options = options.Value;

        InstanceState(x => x.CurrentState);
        ConnectStateObserver(new TransferOutcomeObserver(metrics));

        Event(() => TransferRequested, x =>
        {
            x.CorrelateById(m => TransferIds.CorrelationIdFor(m.Message.TransferId));
            x.SetSagaFactory(m => new TransferState
            {
                CorrelationId = TransferIds.CorrelationIdFor(m.Message.TransferId),
                TransferId = m.Message.TransferId,
            });
        });
        CorrelateByTransfer(() => AccountDebited, m => m.TransferId);
        CorrelateByTransfer(() => DebitRejected, m => m.TransferId);
        CorrelateByTransfer(() => AccountCredited, m => m.TransferId);
        CorrelateByTransfer(() => CreditRejected, m => m.TransferId);
        CorrelateByTransfer(() => DebitReversed, m => m.TransferId);
        CorrelateByTransfer(() => DebitCancelled, m => m.TransferId);
        CorrelateByTransfer(() => CreditCancelled, m => m.TransferId);
        CorrelateByTransfer(() => TransferStepTimedOut, m => m.TransferId);
        CorrelateByTransfer(() => RetryTransfer, m => m.TransferId);
        CorrelateByTransfer(() => AbortTransfer, m => m.TransferId);
        CorrelateByTransfer(() => ApproveOperatorAction, m => m.TransferId);
        CorrelateByTransfer(() => RejectOperatorAction, m => m.TransferId);

        OnUnhandledEvent(context =>
        {
            context.Saga.Record("Ignored" + context.Event.Name, context.Saga.CurrentState, "not expected in this state (late or duplicate)");
            return context.Ignore();
        });

        Initially(
            When(TransferRequested)
                .Then(context => context.Saga.Open(context.Message))
                .IfElse(context => RefusalOf(context.Message) is null,
                    valid => valid
                        .Then(context => context.Saga.StartStep(TransferStep.Debit, this.options))
                        .SendStep(TransferStep.Debit)
                        .TransitionTo(Debiting),
                    invalid => invalid
                        .Then(context => context.Saga.Refuse(context.Message, RefusalOf(context.Message)!))
                        .Publish(context => TransferCommands.Failed(context.Saga))
                        .TransitionTo(Failed)));

        During(Debiting,
            When(AccountDebited)
                .Then(context =>
                {
                    context.Saga.Record("AccountDebited", Debiting.Name, $"balance {context.Message.BalanceBefore} -> {context.Message.BalanceAfter}");
                    context.Saga.SourceBalanceAfter = context.Message.BalanceAfter;
                    context.Saga.DebitedAt = context.Message.AppliedAtUtc;
                    context.Saga.StartStep(TransferStep.Credit, this.options);
                })
                .SendStep(TransferStep.Credit)
                .TransitionTo(Crediting),
            When(DebitRejected)
                .Then(context =>
                {
                    context.Saga.Record("DebitRejected", Debiting.Name, $"{context.Message.ReasonCode}: {context.Message.Reason}");
                    context.Saga.Finish(TransferStatuses.Failed, context.Message.ReasonCode, context.Message.Reason);
                    context.Saga.AvailableBalance = context.Message.AvailableBalance;
                    context.Saga.RemainingDailyAllowance = context.Message.RemainingDailyAllowance;
                })
                .Publish(context => TransferCommands.Failed(context.Saga))
                .TransitionTo(Failed));
        AbortBy(Debiting, TransferStep.CancelDebit, CancellingDebit);
        ResendOnTimeoutOrRetry(Debiting, TransferStep.Debit);

        During(Crediting,
            When(AccountCredited)
                .Then(context =>
                {
                    context.Saga.Record("AccountCredited", Crediting.Name, $"balance {context.Message.BalanceBefore} -> {context.Message.BalanceAfter}");
                    context.Saga.CreditedAt = context.Message.AppliedAtUtc;
                    context.Saga.Finish(TransferStatuses.Success, null, null);
                })
                .Publish(context => TransferCommands.Completed(context.Saga))
                .TransitionTo(Completed),
            When(CreditRejected)
                .Then(context =>
                {
                    context.Saga.Record("CreditRejected", Crediting.Name, $"{context.Message.ReasonCode}: {context.Message.Reason}");
                    context.Saga.BeginCompensation(context.Message.ReasonCode, context.Message.Reason, this.options);
                })
                .SendStep(TransferStep.Reversal)
                .TransitionTo(Compensating));
        AbortBy(Crediting, TransferStep.CancelCredit, CancellingCredit);
        ResendOnTimeoutOrRetry(Crediting, TransferStep.Credit);

        // Safe abort, debit side: only the cancel's answer decides. Fenced -> nothing moved; already applied -> give it back.
        During(CancellingDebit,
            When(DebitCancelled, context => !context.Message.WasAlreadyApplied)
                .Then(context =>
                {
                    context.Saga.Record("DebitCancelled", CancellingDebit.Name, "debit fenced; nothing moved");
                    context.Saga.Finish(TransferStatuses.Failed, ReasonCodes.AbortedByOperator, context.Saga.AbortMessage);
                })
                .Publish(context => TransferCommands.Failed(context.Saga))
                .TransitionTo(Failed),
            When(DebitCancelled, context => context.Message.WasAlreadyApplied)
                .Then(context =>
                {
                    context.Saga.Record("DebitCancelled", CancellingDebit.Name, "debit had already been applied; reversing it");
                    context.Saga.SourceBalanceAfter = context.Message.BalanceAfter;
                    context.Saga.BeginCompensation(ReasonCodes.AbortedByOperator, context.Saga.AbortMessage, this.options);
                })
                .SendStep(TransferStep.Reversal)
                .TransitionTo(Compensating));
        ResendOnTimeoutOrRetry(CancellingDebit, TransferStep.CancelDebit);

        // Safe abort, credit side: fenced -> reverse the debit; already applied -> the transfer completed after all.
        During(CancellingCredit,
            When(CreditCancelled, context => !context.Message.WasAlreadyApplied)
                .Then(context =>
                {
                    context.Saga.Record("CreditCancelled", CancellingCredit.Name, "credit fenced; reversing the debit");
                    context.Saga.BeginCompensation(ReasonCodes.AbortedByOperator, context.Saga.AbortMessage, this.options);
                })
                .SendStep(TransferStep.Reversal)
                .TransitionTo(Compensating),
            When(CreditCancelled, context => context.Message.WasAlreadyApplied)
                .Then(context =>
                {
                    context.Saga.Record("CreditCancelled", CancellingCredit.Name, "credit had already been applied; the transfer completed");
                    context.Saga.CreditedAt ??= context.Message.AnsweredAtUtc;
                    context.Saga.Finish(TransferStatuses.Success, null, null);
                })
                .Publish(context => TransferCommands.Completed(context.Saga))
                .TransitionTo(Completed));
        ResendOnTimeoutOrRetry(CancellingCredit, TransferStep.CancelCredit);

        // A reversal is never refused for business reasons; until it is confirmed the amount stays flagged at risk.
        During(Compensating,
            When(DebitReversed)
                .Then(context =>
                {
                    context.Saga.Record("DebitReversed", Compensating.Name, context.Message.DebitWasApplied
                        ? $"credited back; balance {context.Message.BalanceBefore} -> {context.Message.BalanceAfter}"
                        : "the debit had never been applied; it is now fenced");
                    context.Saga.AmountAtRisk = null;
                    if (context.Message.DebitWasApplied) context.Saga.SourceBalanceAfter = context.Message.BalanceAfter;
                    context.Saga.Finish(TransferStatuses.Rollback, context.Saga.ReasonCode, context.Saga.ErrorMessage);
                })
                .Publish(context => TransferCommands.RolledBack(context.Saga))
                .TransitionTo(RolledBack),
            When(AbortTransfer)
                .Then(context => context.Saga.Record("AbortRefused", Compensating.Name, "the debit is being reversed already; the transfer will end ROLLBACK", context.Message.RequestedBy)));
        ResendOnTimeoutOrRetry(Compensating, TransferStep.Reversal);

        // The same transfer id with other content is another request, not a repeat: it is refused on its own contract,
        // so nobody mistakes the refusal for the outcome of the transfer that owns the id. Checked before the repeats below.
        DuringAny(
            When(TransferRequested, context => context.Saga.IsConflicting(context.Message))
                .Then(context => context.Saga.RecordConflict(context.Message))
                .Publish(context => TransferCommands.Conflicted(context.Saga, context.Message, context.MessageId)));

        During(new[] { Debiting, Crediting, Compensating, CancellingDebit, CancellingCredit },
            When(TransferRequested, context => !context.Saga.IsConflicting(context.Message))
                .Then(context => context.Saga.Record("DuplicateRequest", context.Saga.CurrentState, "same request again: nothing changes")));
        During(CancellingDebit, CancellingCredit,
            When(AbortTransfer)
                .Then(context => context.Saga.Record("AbortRefused", context.Saga.CurrentState, "an abort is already in progress", context.Message.RequestedBy)));

        // A finished transfer answers a repeated request with its outcome, so a waiting caller learns it.
        AnswerRepeatedRequest(Completed, TransferCommands.Completed);
        AnswerRepeatedRequest(Failed, TransferCommands.Failed);
        AnswerRepeatedRequest(RolledBack, TransferCommands.RolledBack);
        During(Completed, Failed, RolledBack,
            When(RetryTransfer)
                .Then(context => context.Saga.Record("RetryRefused", context.Saga.CurrentState, "the transfer is final", context.Message.RequestedBy)),
            When(AbortTransfer)
                .Then(context => context.Saga.Record("AbortRefused", context.Saga.CurrentState, "the transfer is final", context.Message.RequestedBy)));

        // Four eyes: an approval the state above did not carry out (none waiting, another action, the asker's own, or an
        // action this state no longer allows) is recorded and changes nothing; a rejection clears what waits.
        DuringAny(
            When(ApproveOperatorAction, context => !(CanCarryOut(context.Message.Action, context.Saga.CurrentState) && context.Saga.IsApprovedBy(context.Message)))
                .Then(context => context.Saga.RefuseApproval(context.Message, CanCarryOut(context.Message.Action, context.Saga.CurrentState))),
            When(RejectOperatorAction)
                .Then(context => context.Saga.Reject(context.Message)));

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

    // Named after their messages, so the timeline ("Ignored" + event name) never shows two names for one thing.
    public Event<TransferRequested> TransferRequested { get; private set; } = null!;
    public Event<AccountDebited> AccountDebited { get; private set; } = null!;
    public Event<DebitRejected> DebitRejected { get; private set; } = null!;
    public Event<AccountCredited> AccountCredited { get; private set; } = null!;
    public Event<CreditRejected> CreditRejected { get; private set; } = null!;
    public Event<DebitReversed> DebitReversed { get; private set; } = null!;
    public Event<DebitCancelled> DebitCancelled { get; private set; } = null!;
    public Event<CreditCancelled> CreditCancelled { get; private set; } = null!;
    public Event<TransferStepTimedOut> TransferStepTimedOut { get; private set; } = null!;
    public Event<RetryTransfer> RetryTransfer { get; private set; } = null!;
    public Event<AbortTransfer> AbortTransfer { get; private set; } = null!;
    public Event<ApproveOperatorAction> ApproveOperatorAction { get; private set; } = null!;
    public Event<RejectOperatorAction> RejectOperatorAction { get; private set; } = null!;

    /// <summary>The states in which a transfer is still in flight (the sweeper watches these).</summary>
    public static readonly string[] InFlightStates = [.. TransferStateNames.InFlight];
}
