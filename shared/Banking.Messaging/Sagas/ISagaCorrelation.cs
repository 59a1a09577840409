using MassTransit;

namespace Banking.Messaging.Sagas;

/// <summary>
/// Which instance of <typeparamref name="TSaga"/> a message belongs to, known before the state machine runs: the group
/// commit then locks every instance its messages touch with one statement instead of one per message. Optional; the
/// state machine's own correlation stays the rule (a message this cannot place is still loaded on its own).
/// </summary>
public interface ISagaCorrelation<TSaga>
    where TSaga : class, ISaga
{
    Guid? CorrelationIdOf(object message);
}
