using System.Collections.Concurrent;
using System.Reflection;
using Banking.Contracts;
using Banking.Messaging.Sagas;

namespace Banking.Orchestrator.StateMachines;

/// <summary>
/// The transfer a message on <c>transfer-state</c> belongs to, before the state machine runs: every one of its
/// messages names its transfer by <c>TransferId</c>, and the saga's correlation id is derived from it
/// (<see cref="TransferIds.CorrelationIdFor"/>), exactly as the state machine's own correlation does.
/// </summary>
public sealed class TransferCorrelation : ISagaCorrelation<TransferState>
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> TransferIdProperties = new();

    public Guid? CorrelationIdOf(object message)
    {
        var property = TransferIdProperties.GetOrAdd(message.GetType(), type =>
            type.GetProperty(nameof(TransferState.TransferId), BindingFlags.Public | BindingFlags.Instance) is { PropertyType: var t } p && t == typeof(string) ? p : null);
        return property?.GetValue(message) is string { Length: > 0 } transferId
            ? TransferIds.CorrelationIdFor(transferId)
            : null;
    }
}
