using Banking.Messaging.Groups;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;

namespace Banking.Messaging.Outbox;

/// <summary>
/// What MassTransit's outbox pipeline sees of a message being consumed in a group: one not consumed before (the
/// group takes care of the others), whose inbox row the group writes, and whose sends and publishes are captured
/// by the base class and land here, to be stored with the group's commit and delivered after it.
/// </summary>
public sealed class MySqlOutboxConsumeContext<TMessage>(
    ConsumeContext<TMessage> context,
    OutboxConsumeOptions options,
    IServiceProvider provider,
    GroupMember member)
    : OutboxConsumeContextProxy<TMessage>(context, options, provider)
    where TMessage : class
{
    public override Guid? MessageId => member.MessageId;
    public override bool ContinueProcessing { get; set; } = true;
    public override bool IsMessageConsumed => false;
    public override bool IsOutboxDelivered => false;
    public override int ReceiveCount => 1;
    public override long? LastSequenceNumber => null;

    /// <summary>The group created the inbox row consumed; its commit makes that true.</summary>
    public override Task SetConsumed() => Task.CompletedTask;

    public override Task AddSend<T>(SendContext<T> context)
    {
        member.Outgoing.Add(OutboxMessage.From(context, SerializerContext, member.MessageId, member.ConsumerId));
        return Task.CompletedTask;
    }

    // Delivery is the group's, after its commit: MassTransit's pipe never asks for it on a message not consumed before.
    public override Task SetDelivered() => throw NotHere();

    public override Task<List<OutboxMessageContext>> LoadOutboxMessages() => throw NotHere();

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message) => throw NotHere();

    public override Task RemoveOutboxMessages() => throw NotHere();

    private static InvalidOperationException NotHere() => new("delivery of a grouped message happens after its group's commit, not in the consume pipeline");
}
