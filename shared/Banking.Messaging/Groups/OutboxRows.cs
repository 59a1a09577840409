using Banking.Messaging.Outbox;
using MySqlConnector;

namespace Banking.Messaging.Groups;

/// <summary>The inbox and outbox statements of a group: each one statement per group, whatever its size.</summary>
internal static class OutboxRows
{
    private static readonly string[] InboxColumns = ["message_id", "consumer_id", "lock_id", "received", "receive_count", "consumed"];

    /// <summary>
    /// The group's locking reads go through the unique index, never a table scan: on a small inbox (a new or quiet
    /// service) the optimizer scans for a long IN list, and a scanning FOR UPDATE waits on every row another group
    /// holds, so two groups claiming at once deadlock on rows neither wants.
    /// </summary>
    private const string ThroughUniqueIndex = "FORCE INDEX (ux_inbox_state_message_consumer)";

    /// <summary>
    /// The group's own inbox rows and no others: by message id alone, a locking read also waits on the rows of the
    /// same message for another consumer or endpoint, held by that one's group, which may be waiting on ours (a
    /// deadlock seen when one message went to two consumers on one queue and a third on another).
    /// </summary>
    private static string ExactKeys(int count) => $"(message_id, consumer_id) IN ({string.Join(", ", Enumerable.Repeat("(?, ?)", count))})";

    /// <summary>In the order the unique index keeps the keys (the text of the ids), the order every statement locks them in.</summary>
    private static List<(Guid MessageId, Guid ConsumerId)> InKeyOrder(IEnumerable<(Guid MessageId, Guid ConsumerId)> keys) =>
        keys.OrderBy(k => k.MessageId.ToString(), StringComparer.Ordinal).ThenBy(k => k.ConsumerId.ToString(), StringComparer.Ordinal).ToList();

    private static void AddKeys(MySqlParameterCollection parameters, IEnumerable<(Guid MessageId, Guid ConsumerId)> keys)
    {
        foreach (var (messageId, consumerId) in keys)
        {
            parameters.Add(new MySqlParameter { Value = messageId });
            parameters.Add(new MySqlParameter { Value = consumerId });
        }
    }

    private static readonly string[] OutboxColumns =
    [
        "message_id", "inbox_message_id", "inbox_consumer_id", "content_type", "message_type", "body", "headers", "properties",
        "conversation_id", "correlation_id", "initiator_id", "request_id", "source_address", "destination_address",
        "response_address", "fault_address", "sent_time", "expiration_time",
    ];

    /// <summary>
    /// Claims every member's inbox row and locks it: new rows are created consumed (the group's commit makes that
    /// true, its rollback takes it back), a row that exists only counts the delivery. Rows are claimed in key order,
    /// and the claim's <c>lock_id</c> tells the rows this group created from the ones it found.
    /// </summary>
    /// <param name="startTransaction">The batch opens the group's transaction itself (<c>START TRANSACTION</c> first).</param>
    public static async Task<Dictionary<(Guid MessageId, Guid ConsumerId), InboxClaim>> ClaimAsync(GroupTransaction group, Guid lockId, DateTime now, bool startTransaction, CancellationToken cancellationToken)
    {
        // In the order the unique index keeps them (the text of the ids), the order every other statement locks them in.
        // Every copy in the group counts as a delivery, as it would one transaction after the other.
        var copies = group.Members.GroupBy(m => (m.MessageId, m.ConsumerId)).ToDictionary(g => g.Key, g => g.Count());
        var keys = InKeyOrder(copies.Keys);
        var writes = new GroupWrites();
        writes.InsertRows("inbox_state", InboxColumns, keys.Select(k => new object?[] { k.MessageId, k.ConsumerId, lockId, now, copies[k], now }),
            "ON DUPLICATE KEY UPDATE receive_count = receive_count + VALUES(receive_count)");

        await using var batch = new MySqlBatch(group.Connection, group.Transaction);
        if (startTransaction) batch.BatchCommands.Add(new MySqlBatchCommand("START TRANSACTION"));
        batch.BatchCommands.Add(writes.Commands.Single());
        var select = new MySqlBatchCommand(
            $"SELECT id, message_id, consumer_id, lock_id, consumed, delivered FROM inbox_state {ThroughUniqueIndex} WHERE {ExactKeys(keys.Count)} FOR UPDATE");
        AddKeys(select.Parameters, keys);
        batch.BatchCommands.Add(select);

        var claims = new Dictionary<(Guid, Guid), InboxClaim>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (!reader.HasRows && await reader.NextResultAsync(cancellationToken))
        {
        }

        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.GetGuid(1), reader.GetGuid(2));
            var isNew = reader.GetGuid(3) == lockId;
            claims[key] = new InboxClaim(reader.GetInt64(0), isNew, WasConsumed: !isNew && !reader.IsDBNull(4), WasDelivered: !reader.IsDBNull(5));
        }

        return claims;
    }

    /// <summary>A row found unconsumed (left by an older version that claimed before it consumed) is consumed now.</summary>
    public static void AddConsumed(GroupWrites writes, IEnumerable<GroupMember> members)
    {
        var ids = members.Where(m => m.Inbox is { IsNew: false, WasConsumed: false }).Select(m => (object?)m.Inbox!.Id).ToArray();
        if (ids.Length == 0) return;
        writes.Add($"UPDATE inbox_state SET consumed = ? WHERE id IN ({GroupWrites.Placeholders(ids.Length)})", [DateTime.UtcNow, .. ids]);
    }

    public static void AddOutgoing(GroupWrites writes, IEnumerable<GroupMember> members) =>
        writes.InsertRows("outbox_message", OutboxColumns, members.SelectMany(m => m.Outgoing).Select(o => new object?[]
        {
            o.MessageId, o.InboxMessageId, o.InboxConsumerId, o.ContentType, o.MessageType, o.Body, o.Headers, o.Properties,
            o.ConversationId, o.CorrelationId, o.InitiatorId, o.RequestId, o.SourceAddress?.ToString(), o.DestinationAddress?.ToString(),
            o.ResponseAddress?.ToString(), o.FaultAddress?.ToString(), o.SentTime, o.ExpirationTime,
        }));

    /// <summary>
    /// Opens a transaction and, in the same round trip, locks the members' inbox rows for their delivery; returns the
    /// ids of those not delivered yet.
    /// </summary>
    public static async Task<HashSet<long>> LockUndeliveredAsync(GroupTransaction group, CancellationToken cancellationToken)
    {
        // The same rows, index and order as the claims, so a delivery and a claim never lock two rows in opposite orders.
        var keys = InKeyOrder(group.Members.Select(m => (m.MessageId, m.ConsumerId)).Distinct());
        await using var batch = new MySqlBatch(group.Connection);
        batch.BatchCommands.Add(new MySqlBatchCommand("START TRANSACTION"));
        var select = new MySqlBatchCommand(
            $"SELECT id, delivered FROM inbox_state {ThroughUniqueIndex} WHERE {ExactKeys(keys.Count)} ORDER BY message_id, consumer_id FOR UPDATE");
        AddKeys(select.Parameters, keys);
        batch.BatchCommands.Add(select);
        var undelivered = new HashSet<long>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (!reader.HasRows && await reader.NextResultAsync(cancellationToken))
        {
        }

        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.IsDBNull(1)) undelivered.Add(reader.GetInt64(0));
        }

        return undelivered;
    }

    /// <summary>Loads what earlier deliveries of these messages stored, for members that did not consume them here.</summary>
    public static async Task LoadStoredAsync(GroupTransaction group, IReadOnlyList<GroupMember> members, CancellationToken cancellationToken)
    {
        var byKey = members.ToDictionary(m => (m.MessageId, m.ConsumerId));
        var messageIds = byKey.Keys.Select(k => k.MessageId).Distinct().ToList();
        await using var command = group.Command(
            $"SELECT sequence_number, {string.Join(", ", OutboxColumns)} FROM outbox_message WHERE inbox_message_id IN ({GroupWrites.Placeholders(messageIds.Count)}) ORDER BY sequence_number");
        foreach (var id in messageIds) command.Parameters.Add(new MySqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            Guid? Id(int i) => reader.IsDBNull(i) ? null : reader.GetGuid(i);
            Uri? Address(int i) => reader.IsDBNull(i) ? null : new Uri(reader.GetString(i));
            var message = new OutboxMessage
            {
                SequenceNumber = reader.GetInt64(0),
                MessageId = reader.GetGuid(1),
                InboxMessageId = reader.GetGuid(2),
                InboxConsumerId = reader.GetGuid(3),
                ContentType = reader.GetString(4),
                MessageType = reader.GetString(5),
                Body = reader.GetString(6),
                Headers = Text(7),
                Properties = Text(8),
                ConversationId = Id(9),
                CorrelationId = Id(10),
                InitiatorId = Id(11),
                RequestId = Id(12),
                SourceAddress = Address(13),
                DestinationAddress = Address(14),
                ResponseAddress = Address(15),
                FaultAddress = Address(16),
                SentTime = DateTime.SpecifyKind(reader.GetDateTime(17), DateTimeKind.Utc),
                ExpirationTime = reader.IsDBNull(18) ? null : DateTime.SpecifyKind(reader.GetDateTime(18), DateTimeKind.Utc),
            };
            if (!byKey.TryGetValue((message.InboxMessageId, message.InboxConsumerId), out var member)) continue;
            message.RestoreFrom(member.Context.SerializerContext);
            member.Outgoing.Add(message);
        }
    }

    /// <summary>Delivered, and the stored copies dropped: nothing needs them again.</summary>
    public static void AddDelivered(GroupWrites writes, IReadOnlyList<GroupMember> members, DateTime now)
    {
        if (members.Count == 0) return;
        var ids = members.Select(m => (object?)m.Inbox!.Id).ToArray();
        writes.Add($"UPDATE inbox_state SET delivered = ? WHERE id IN ({GroupWrites.Placeholders(ids.Length)})", [now, .. ids]);
        // Per consumer: another consumer of the same message (on another endpoint) may still be delivering its own rows.
        foreach (var consumer in members.Where(m => m.Outgoing.Count > 0).GroupBy(m => m.ConsumerId))
        {
            var messageIds = consumer.Select(m => (object?)m.MessageId).Distinct().ToArray();
            writes.Add($"DELETE FROM outbox_message WHERE inbox_consumer_id = ? AND inbox_message_id IN ({GroupWrites.Placeholders(messageIds.Length)})",
                [consumer.Key, .. messageIds]);
        }
    }
}
