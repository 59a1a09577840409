using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Outbox;

public static class OutboxModelBuilderExtensions
{
    /// <summary>
    /// Adds <c>inbox_state</c> and <c>outbox_message</c> to a service's own database, so that they land in its
    /// migrations and share its transactions.
    /// </summary>
    public static ModelBuilder AddTransactionalOutbox(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<InboxState>(inbox =>
        {
            inbox.ToTable("inbox_state");
            inbox.HasKey(x => x.Id);
            inbox.Property(x => x.Id).HasColumnName("id");
            inbox.Property(x => x.MessageId).HasColumnName("message_id");
            inbox.Property(x => x.ConsumerId).HasColumnName("consumer_id");
            inbox.Property(x => x.LockId).HasColumnName("lock_id");
            inbox.Property(x => x.Received).HasColumnName("received").HasColumnType("datetime(6)");
            inbox.Property(x => x.ReceiveCount).HasColumnName("receive_count");
            inbox.Property(x => x.Consumed).HasColumnName("consumed").HasColumnType("datetime(6)");
            inbox.Property(x => x.Delivered).HasColumnName("delivered").HasColumnType("datetime(6)");
            inbox.Property(x => x.LastSequenceNumber).HasColumnName("last_sequence_number");
            inbox.HasIndex(x => new { x.MessageId, x.ConsumerId }, "ux_inbox_state_message_consumer").IsUnique();
            inbox.HasIndex(x => x.Delivered, "idx_inbox_state_delivered");
        });

        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable("outbox_message");
            outbox.HasKey(x => x.SequenceNumber);
            outbox.Property(x => x.SequenceNumber).HasColumnName("sequence_number").ValueGeneratedOnAdd();
            outbox.Property(x => x.MessageId).HasColumnName("message_id");
            outbox.Property(x => x.InboxMessageId).HasColumnName("inbox_message_id");
            outbox.Property(x => x.InboxConsumerId).HasColumnName("inbox_consumer_id");
            outbox.Property(x => x.ContentType).HasColumnName("content_type").HasColumnType("varchar(256)").IsRequired();
            outbox.Property(x => x.MessageType).HasColumnName("message_type").HasColumnType("text").IsRequired();
            outbox.Property(x => x.Body).HasColumnName("body").HasColumnType("longtext").IsRequired();
            outbox.Property(x => x.Headers).HasColumnName("headers").HasColumnType("text");
            outbox.Property(x => x.Properties).HasColumnName("properties").HasColumnType("text");
            outbox.Property(x => x.ConversationId).HasColumnName("conversation_id");
            outbox.Property(x => x.CorrelationId).HasColumnName("correlation_id");
            outbox.Property(x => x.InitiatorId).HasColumnName("initiator_id");
            outbox.Property(x => x.RequestId).HasColumnName("request_id");
            outbox.Property(x => x.SourceAddress).HasColumnName("source_address").HasColumnType("varchar(256)");
            outbox.Property(x => x.DestinationAddress).HasColumnName("destination_address").HasColumnType("varchar(256)");
            outbox.Property(x => x.ResponseAddress).HasColumnName("response_address").HasColumnType("varchar(256)");
            outbox.Property(x => x.FaultAddress).HasColumnName("fault_address").HasColumnType("varchar(256)");
            outbox.Property(x => x.SentTime).HasColumnName("sent_time").HasColumnType("datetime(6)");
            outbox.Property(x => x.ExpirationTime).HasColumnName("expiration_time").HasColumnType("datetime(6)");
            outbox.HasIndex(x => new { x.InboxMessageId, x.InboxConsumerId, x.SequenceNumber }, "idx_outbox_message_inbox");
            outbox.HasIndex(x => x.SentTime, "idx_outbox_message_sent_time");
        });

        return modelBuilder;
    }
}
