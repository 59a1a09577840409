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

    /// <summary>
    /// Chains <paramref name="entries"/> on <paramref name="chain"/>; the writes go into <paramref name="writes"/>. With
    /// a head this process committed last (<paramref name="knownHead"/>) the head is not read first: the rows are chained
    /// from it, and the writes themselves fail unless it still is the head (see <see cref="AddRowsCheckedAgainst"/>).
    /// Otherwise the head is locked and read first.
    /// </summary>
    public static async Task<IReadOnlyList<AuditRecord>> ChainAsync(
        MySqlConnection connection, MySqlTransaction? transaction, string chain, IReadOnlyList<AuditEntry> entries, GroupWrites writes, CancellationToken cancellationToken,
        AuditHead? knownHead = null)
    {
        if (entries.Count == 0 || !Enabled) return [];

        if (knownHead is not null)
        {
            var chained = Chain(chain, entries, knownHead.Seq, knownHead.Hash);
            AddRowsCheckedAgainst(writes, knownHead, chained);
            writes.Add($"UPDATE {AuditTrailModel.HeadTable} SET last_seq = ?, last_hash = ? WHERE chain = ?", chained[^1].Seq, chained[^1].RowHash, chain);
            return chained;
        }

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

        var rows = Chain(chain, entries, seq, previous);
        writes.InsertRows(AuditTrailModel.Table, Columns, rows.Select(Values));
        writes.Add($"UPDATE {AuditTrailModel.HeadTable} SET last_seq = ?, last_hash = ? WHERE chain = ?", rows[^1].Seq, rows[^1].RowHash, chain);
        return rows;
    }

    private static List<AuditRecord> Chain(string chain, IReadOnlyList<AuditEntry> entries, long seq, string previous)
    {
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

        return rows;
    }

    private static object?[] Values(AuditRecord r) =>
        [r.Chain, r.Seq, r.OccurredAt, r.Actor, r.Action, r.Subject, r.SourceAddress, r.Details, r.PreviousHash, r.RowHash];

    /// <summary>
    /// The rows, the first one's <c>previous_hash</c> read from the head in the same statement, and only if the head
    /// still is <paramref name="head"/>: otherwise it is NULL, which the NOT NULL column refuses (strict mode, which
    /// the group's connections set), and the group rolls back. A head moved by another writer since is caught either
    /// way: its rows hold the places these rows take, and the key <c>(chain, seq)</c> refuses a second row in one.
    /// </summary>
    private static void AddRowsCheckedAgainst(GroupWrites writes, AuditHead head, IReadOnlyList<AuditRecord> rows)
    {
        var previousColumn = Array.IndexOf(Columns, "previous_hash");
        var sql = new System.Text.StringBuilder($"INSERT INTO {AuditTrailModel.Table} ({string.Join(", ", Columns)}) VALUES ");
        var values = new List<object?>(rows.Count * Columns.Length + 2);
        for (var r = 0; r < rows.Count; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            var row = Values(rows[r]);
            for (var c = 0; c < row.Length; c++)
            {
                if (c > 0) sql.Append(", ");
                if (r == 0 && c == previousColumn)
                {
                    sql.Append($"(SELECT last_hash FROM {AuditTrailModel.HeadTable} WHERE chain = ? AND last_seq = ? AND last_hash = ?)");
                    values.AddRange([rows[0].Chain, head.Seq, head.Hash]);
                    continue;
                }

                sql.Append('?');
                values.Add(row[c]);
            }

            sql.Append(')');
        }

        writes.Add(sql.ToString(), [.. values]);
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

    public async Task CloseAsync(GroupWrites writes, CancellationToken cancellationToken)
    {
        var known = group.AuditHeads?.Take();
        var rows = await AuditChain.ChainAsync(group.Connection, group.Transaction, group.Endpoint, entries, writes, cancellationToken, known);
        if (rows.Count > 0 && group.AuditHeads is { } heads) group.OnCommitted(() => heads.Committed(new AuditHead(rows[^1].Seq, rows[^1].RowHash)));
    }
}

/// <summary>A chain's last place and the hash of the row in it.</summary>
public sealed record AuditHead(long Seq, string Hash);

/// <summary>
/// The head of one endpoint's chain as this endpoint's group commit last committed it, so the next group can chain
/// its rows without reading (and locking) the head first: one round trip less per group, on a chain this process is
/// usually the only writer of. It is handed out once (<see cref="Take"/>) and comes back only with a commit, so a
/// group that failed leaves the next one to read the head again. A group that failed with the head in hand may have
/// met another writer of the chain (another instance, an operator's action): the head is then read, under its lock,
/// for a while, instead of failing groups against a chain that others keep moving.
/// </summary>
public sealed class AuditHeadCache(TimeProvider time, TimeSpan distrustFor)
{
    private AuditHead? known;
    private AuditHead? handedOut;
    private DateTimeOffset trustAgainAt;

    public AuditHead? Take()
    {
        var head = time.GetUtcNow() < trustAgainAt ? null : known;
        known = null;
        handedOut = head;
        return head;
    }

    public void Committed(AuditHead head)
    {
        known = head;
        handedOut = null;
    }

    /// <summary>The group failed; whether it had the head in hand (and so may have failed on it).</summary>
    public bool Failed()
    {
        known = null;
        if (handedOut is null) return false;
        handedOut = null;
        trustAgainAt = time.GetUtcNow() + distrustFor;
        return true;
    }
}
