using Banking.Messaging.Groups;
using MySqlConnector;

namespace Banking.Messaging.Audit;

/// <summary>
/// Appends entries to one chain inside the caller's transaction: the chain's head is locked (so two transactions give
/// out places one after the other), each row gets the next place and the hash of the row before it, and rows and head
/// are written with the transaction's other changes. The head is locked last, just before the writes, so a
/// transaction holding it waits for nothing but its own commit.
/// </summary>
public static class AuditChain
{
    /// <summary>Set from <see cref="AuditOptions.Enabled"/> at start.</summary>
    public static bool Enabled { get; set; } = true;

    private static readonly string[] Columns =
        ["chain", "seq", "occurred_at", "actor", "action", "subject", "source_address", "details", "previous_hash", "row_hash"];

    /// <summary>Locks the head of <paramref name="chain"/> and chains <paramref name="entries"/>; the writes go into <paramref name="writes"/>.</summary>
    public static async Task<IReadOnlyList<AuditRecord>> ChainAsync(
        MySqlConnection connection, MySqlTransaction transaction, string chain, IReadOnlyList<AuditEntry> entries, GroupWrites writes, CancellationToken cancellationToken)
    {
        if (entries.Count == 0 || !Enabled) return [];

        await using var batch = new MySqlBatch(connection, transaction);
        // The upsert takes the head's exclusive lock at once, creating the head on a chain's first use. (INSERT IGNORE
        // would take a shared lock on an existing head, and two transactions upgrading theirs would deadlock.) Under
        // that lock a plain read sees the latest committed head.
        var create = new MySqlBatchCommand($"INSERT INTO {AuditTrailModel.HeadTable} (chain, last_seq, last_hash) VALUES (?, 0, ?) ON DUPLICATE KEY UPDATE last_seq = last_seq");
        create.Parameters.Add(new MySqlParameter { Value = chain });
        create.Parameters.Add(new MySqlParameter { Value = AuditHash.Genesis });
        var lockHead = new MySqlBatchCommand($"SELECT last_seq, last_hash FROM {AuditTrailModel.HeadTable} WHERE chain = ?");
        lockHead.Parameters.Add(new MySqlParameter { Value = chain });
        batch.BatchCommands.Add(create);
        batch.BatchCommands.Add(lockHead);

        long seq;
        string previous;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (reader.FieldCount == 0 && await reader.NextResultAsync(cancellationToken))
            {
            }

            if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"the head of audit chain {chain} could not be locked");
            seq = reader.GetInt64(0);
            previous = reader.GetString(1);
        }

        var rows = new List<AuditRecord>(entries.Count);
        var now = DateTime.UtcNow;
        foreach (var entry in entries)
        {
            var row = new AuditRecord
            {
                Chain = chain,
                Seq = ++seq,
                OccurredAt = Microseconds(entry.OccurredAtUtc ?? now),
                Actor = Fit(entry.Actor, 100),
                Action = Fit(entry.Action, 40),
                Subject = Fit(entry.Subject, 100),
                SourceAddress = entry.SourceAddress is null ? null : Fit(entry.SourceAddress, 64),
                Details = entry.Details is null ? null : Fit(entry.Details, 1000),
                PreviousHash = previous,
            };
            row.RowHash = AuditHash.Of(row);
            previous = row.RowHash;
            rows.Add(row);
        }

        writes.InsertRows(AuditTrailModel.Table, Columns, rows.Select(r => new object?[]
        {
            r.Chain, r.Seq, r.OccurredAt, r.Actor, r.Action, r.Subject, r.SourceAddress, r.Details, r.PreviousHash, r.RowHash,
        }));
        writes.Add($"UPDATE {AuditTrailModel.HeadTable} SET last_seq = ?, last_hash = ? WHERE chain = ?", seq, previous, chain);
        return rows;
    }

    /// <summary>Appends <paramref name="entries"/> in the caller's transaction, written at once (for callers outside a group).</summary>
    public static async Task<IReadOnlyList<AuditRecord>> AppendAsync(
        MySqlConnection connection, MySqlTransaction transaction, string chain, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        var writes = new GroupWrites();
        var rows = await ChainAsync(connection, transaction, chain, entries, writes, cancellationToken);
        await writes.ExecuteAsync(connection, transaction, cancellationToken);
        return rows;
    }

    /// <summary>The chain of a message's receive endpoint: the queue's name, as a group on that endpoint uses.</summary>
    public static string ChainOf(MassTransit.ConsumeContext context) =>
        context.ReceiveContext.InputAddress?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "default";

    // datetime(6) keeps microseconds: the hash is over what the row stores.
    private static DateTime Microseconds(DateTime at)
    {
        var utc = at.Kind == DateTimeKind.Local ? at.ToUniversalTime() : DateTime.SpecifyKind(at, DateTimeKind.Utc);
        return new DateTime(utc.Ticks - utc.Ticks % 10, DateTimeKind.Utc);
    }

    private static string Fit(string value, int length) => value.Length <= length ? value : value[..length];
}

/// <summary>
/// A group's audit entries, chained in the group's closing step (after every other participant has added its
/// entries) on the chain of the group's endpoint.
/// </summary>
public sealed class GroupAuditTrail(GroupTransaction group) : IGroupParticipant, IGroupClosingStep
{
    private readonly List<AuditEntry> entries = [];

    public void Add(AuditEntry entry) => entries.Add(entry);

    public void AddRange(IEnumerable<AuditEntry> more) => entries.AddRange(more);

    public void AddWrites(GroupWrites writes)
    {
    }

    public Task CloseAsync(GroupWrites writes, CancellationToken cancellationToken) =>
        AuditChain.ChainAsync(group.Connection, group.Transaction, group.Endpoint, entries, writes, cancellationToken);
}
