using Banking.Messaging.Outbox;
using MassTransit;

namespace Banking.Messaging.Groups;

/// <summary>
/// One consumed message (one delivery to one consumer) waiting for its group: what the group needs to know of it,
/// the messages it sends (kept until they reach the broker), and the completion the consume pipeline waits on.
/// </summary>
public abstract class GroupMember
{
    protected GroupMember(ConsumeContext context, Guid messageId, Guid consumerId, string messageType)
    {
        Context = context;
        MessageId = messageId;
        ConsumerId = consumerId;
        MessageType = messageType;
        // A retried delivery already failed once: it runs alone, so it cannot fail a group again.
        RunAlone = context.GetRetryAttempt() > 0;
        // The consume pipeline's trace, log scope and ambient state, so the consumer runs as if MassTransit ran it.
        flow = ExecutionContext.Capture();
    }

    private readonly ExecutionContext? flow;

    /// <summary>Runs the consumer inside the execution context of its own delivery, not the group's.</summary>
    internal Task ConsumeInOwnContextAsync(GroupTransaction group)
    {
        if (flow is null) return ConsumeAsync(group);
        Task? running = null;
        ExecutionContext.Run(flow, _ => running = ConsumeAsync(group), null);
        return running!;
    }

    public ConsumeContext Context { get; }

    public Guid MessageId { get; }

    public Guid ConsumerId { get; }

    public string MessageType { get; }

    /// <summary>The message this member carries (typed members expose theirs; participants read keys from it).</summary>
    public abstract object Message { get; }

    /// <summary>Whether this member's consumer runs in the group (false for a copy of a message consumed before).</summary>
    public bool WillConsume => Inbox is not { WasConsumed: true };

    internal bool RunAlone { get; set; }

    /// <summary>The inbox row as the group's claim found it; set before the member runs.</summary>
    internal InboxClaim? Inbox { get; set; }

    /// <summary>What the consumer sent or published, stored in the group's transaction and delivered after its commit.</summary>
    internal List<OutboxMessage> Outgoing { get; } = [];

    internal TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs the consumer of a message this consumer has not consumed before, inside <paramref name="group"/>.</summary>
    internal abstract Task ConsumeAsync(GroupTransaction group);

    /// <summary>Forgets what a rolled-back run captured, before the member runs again in another group.</summary>
    internal void Reset()
    {
        Outgoing.Clear();
        Inbox = null;
    }
}

/// <summary>
/// The inbox row of a member, as claimed: <see cref="IsNew"/> when this group created it. A second copy of a message
/// in the same group (<see cref="IsCopyInGroup"/>) is neither consumed nor delivered: it is done when the first is.
/// </summary>
internal sealed record InboxClaim(long Id, bool IsNew, bool WasConsumed, bool WasDelivered, bool IsCopyInGroup = false);
