namespace Banking.Messaging.Outbox;

/// <summary>
/// One consumed message per consumer (<c>inbox_state</c>, unique on message id and consumer id). Written in the
/// same transaction as the consumer's business change: "consumed" means the change is committed, "delivered" that
/// the messages it caused have reached the broker.
/// </summary>
public class InboxState
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public Guid ConsumerId { get; set; }
    public Guid LockId { get; set; }
    public DateTime Received { get; set; }
    public int ReceiveCount { get; set; }
    public DateTime? Consumed { get; set; }
    public DateTime? Delivered { get; set; }
    public long? LastSequenceNumber { get; set; }
}
