using Banking.Contracts;
using Banking.Contracts.Transfers;
using MassTransit;

namespace Banking.Orchestrator.StateMachines;

/// <summary>The clauses the state table repeats, each written once.</summary>
public partial class TransferStateMachine
{
    /// <summary>
    /// The step in flight is sent again when the sweeper's timeout names exactly what the saga waits on (step, attempt
    /// and deadline: a late timeout of an earlier attempt changes nothing), or when an operator asks for a retry.
    /// Above the four-eyes threshold an operator's retry waits for a second operator, whose approval sends the step.
    /// </summary>
    private void ResendOnTimeoutOrRetry(State state, TransferStep step) =>
        During(state,
            When(TransferStepTimedOut, context => context.Saga.IsWaitingOn(context.Message))
                .Then(context => context.Saga.RetryStep(step, "timeout", null, options))
                .SendStep(step),
            When(RetryTransfer, context => !options.NeedsSecondOperator(context.Saga.Amount))
                .Then(context => context.Saga.RetryStep(step, context.Message.Reason, context.Message.RequestedBy, options))
                .SendStep(step),
            When(RetryTransfer, context => options.NeedsSecondOperator(context.Saga.Amount))
                .Then(context => context.Saga.AwaitSecondOperator(OperatorActions.Retry, context.Message.RequestedBy, context.Message.Reason)),
            When(ApproveOperatorAction, context => context.Message.Action == OperatorActions.Retry && context.Saga.IsApprovedBy(context.Message))
                .Then(context => context.Saga.RetryApprovedStep(context.Message, step, options))
                .SendStep(step));

    /// <summary>
    /// An abort fences the step in flight with its cancel; only the cancel's answer decides what happened. Above the
    /// four-eyes threshold it waits for a second operator, whose approval starts the fence.
    /// </summary>
    private void AbortBy(State state, TransferStep fence, State fencing) =>
        During(state,
            When(AbortTransfer, context => !options.NeedsSecondOperator(context.Saga.Amount))
                .Then(context => context.Saga.BeginAbort(context.Message, fence, options))
                .SendStep(fence)
                .TransitionTo(fencing),
            When(AbortTransfer, context => options.NeedsSecondOperator(context.Saga.Amount))
                .Then(context => context.Saga.AwaitSecondOperator(OperatorActions.Abort, context.Message.RequestedBy, context.Message.Reason)),
            When(ApproveOperatorAction, context => context.Message.Action == OperatorActions.Abort && context.Saga.IsApprovedBy(context.Message))
                .Then(context => context.Saga.BeginApprovedAbort(context.Message, fence, options))
                .SendStep(fence)
                .TransitionTo(fencing));

    /// <summary>Where each operator action can be carried out; an approval anywhere else changes nothing.</summary>
    private bool CanCarryOut(string action, string state) => action switch
    {
        OperatorActions.Abort => state == Debiting.Name || state == Crediting.Name,
        OperatorActions.Retry => InFlightStates.Contains(state),
        _ => false,
    };

    private void AnswerRepeatedRequest<TOutcome>(State final, Func<TransferState, TOutcome> outcome)
        where TOutcome : class =>
        During(final,
            When(TransferRequested, context => !context.Saga.IsConflicting(context.Message))
                .Then(context => context.Saga.Record("DuplicateRequest", final.Name, "same request again: nothing changes"))
                .Publish(context => outcome(context.Saga)));

    /// <summary>Replies and operator commands that find no transfer are logged by MassTransit and dropped: there is nothing to drive.</summary>
    private void CorrelateByTransfer<T>(System.Linq.Expressions.Expression<Func<Event<T>>> propertyExpression, Func<T, string> transferId)
        where T : class =>
        Event(propertyExpression, x =>
        {
            x.CorrelateById(m => TransferIds.CorrelationIdFor(transferId(m.Message)));
            x.OnMissingInstance(m => m.Discard());
        });

    /// <summary>One rule set for every channel: what the channel already found broken, then <see cref="TransferRules.Check"/>.</summary>
    private TransferRefusal? RefusalOf(TransferRequested request) =>
        request.ChannelRefusal ?? TransferRules.Check(request.TransferId, request.FromAccount, request.ToAccount, request.Amount, request.Currency,
            request.Description, request.RequestedBy, options.Limits);
}
