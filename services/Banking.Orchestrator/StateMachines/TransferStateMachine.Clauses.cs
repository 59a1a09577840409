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
    /// </summary>
    private void ResendOnTimeoutOrRetry(State state, TransferStep step) =>
        During(state,
            When(TransferStepTimedOut, context => context.Saga.IsWaitingOn(context.Message))
                .Then(context => context.Saga.RetryStep(step, "timeout", null, options))
                .SendStep(step),
            When(RetryTransfer)
                .Then(context => context.Saga.RetryStep(step, context.Message.Reason, context.Message.RequestedBy, options))
                .SendStep(step));

    /// <summary>An abort fences the step in flight with its cancel; only the cancel's answer decides what happened.</summary>
    private EventActivities<TransferState> AbortBy(TransferStep fence, State fencing) =>
        When(AbortTransfer)
            .Then(context => context.Saga.BeginAbort(context.Message, fence, options))
            .SendStep(fence)
            .TransitionTo(fencing);

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
