using Banking.Contracts.Transfers;
using Banking.Messaging.Groups;
using Banking.Orchestrator.StateMachines;
using MassTransit;

namespace Banking.Orchestrator.Transfers;

/// <summary>
/// Counts a transfer when it reaches a final state, with its submit-to-final time, once the group that stored the
/// state has committed: a group that rolls back and runs again must not count the same transfer twice.
/// </summary>
public sealed class TransferOutcomeObserver(TransferMetrics metrics) : IStateObserver<TransferState>
{
    public Task StateChanged(BehaviorContext<TransferState> context, State currentState, State previousState)
    {
        if (!TransferStateNames.Final.Contains(currentState.Name) || previousState?.Name == currentState.Name) return Task.CompletedTask;

        var transfer = context.Saga;
        var status = transfer.Status;
        var elapsed = (transfer.CompletedAt ?? DateTime.UtcNow) - (transfer.CreatedAt ?? transfer.CompletedAt ?? DateTime.UtcNow);
        var group = context.TryGetPayload(out IServiceProvider? services) ? services.GetService<GroupMembership>()?.Current : null;
        if (group is null) metrics.Finished(status, elapsed);
        else group.OnCommitted(() => metrics.Finished(status, elapsed));
        return Task.CompletedTask;
    }
}
