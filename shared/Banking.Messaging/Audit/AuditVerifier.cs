using System.Text.Json.Serialization;
using MySqlConnector;

namespace Banking.Messaging.Audit;

/// <summary>The result of walking a database's audit chains: each chain's length and, where it breaks, its first broken row.</summary>
public sealed record AuditVerification(
    [property: JsonPropertyName("intact")] bool Intact,
    [property: JsonPropertyName("chains")] IReadOnlyList<AuditChainVerification> Chains,
    [property: JsonPropertyName("verified_at")] DateTime VerifiedAtUtc);

public sealed record AuditChainVerification(
    [property: JsonPropertyName("chain")] string Chain,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("last_seq")] long LastSeq,
    [property: JsonPropertyName("first_break")] AuditBreak? FirstBreak);

/// <summary>
/// The first row where a chain stops being what was written: <see cref="Problem"/> is one of <see cref="AuditProblems"/>.
/// </summary>
public sealed record AuditBreak(
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("problem")] string Problem,
    [property: JsonPropertyName("detail")] string Detail);

public static class AuditProblems
{
    /// <summary>The row's content is not what its hash was computed over: it was edited (or swapped with another).</summary>
    public const string RowAltered = "ROW_ALTERED";

    /// <summary>One or more rows before this one are gone (deleted), or the chain's last rows are (the head says more).</summary>
    public const string RowsMissing = "ROWS_MISSING";

    /// <summary>The row does not follow the row before it: rows were reordered or replaced as a whole.</summary>
    public const string ChainBroken = "CHAIN_BROKEN";
}

/// <summary>
/// Walks every chain of <c>audit_log</c> in order, recomputing each row's hash from its content and the hash of the
/// row before, and names the first row where that fails. Reads only: the service's own login is enough.
/// </summary>
public static class AuditVerifier
{
    public static async Task<AuditVerification> VerifyAsync(MySqlConnection connection, CancellationToken cancellationToken = default)
    {
        var heads = new Dictionary<string, (long Seq, string Hash)>(StringComparer.Ordinal);
        await using (var command = new MySqlCommand($"SELECT chain, last_seq, last_hash FROM {AuditTrailModel.HeadTable}", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) heads[reader.GetString(0)] = (reader.GetInt64(1), reader.GetString(2));
        }

        var chains = new List<AuditChainVerification>();
        await using (var command = new MySqlCommand(
            $"SELECT chain, seq, occurred_at, actor, action, subject, source_address, details, previous_hash, row_hash FROM {AuditTrailModel.Table} ORDER BY chain, seq", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            ChainWalk? walk = null;
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new AuditRecord
                {
                    Chain = reader.GetString(0),
                    Seq = reader.GetInt64(1),
                    OccurredAt = DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc),
                    Actor = reader.GetString(3),
                    Action = reader.GetString(4),
                    Subject = reader.GetString(5),
                    SourceAddress = reader.IsDBNull(6) ? null : reader.GetString(6),
                    Details = reader.IsDBNull(7) ? null : reader.GetString(7),
                    PreviousHash = reader.GetString(8),
                    RowHash = reader.GetString(9),
                };
                if (walk is null || walk.Chain != row.Chain)
                {
                    if (walk is not null) chains.Add(walk.Finish(heads));
                    walk = new ChainWalk(row.Chain);
                }

                walk.Next(row);
            }

            if (walk is not null) chains.Add(walk.Finish(heads));
        }

        // A chain whose head exists but none of whose rows do: all of them were deleted.
        foreach (var (chain, head) in heads.Where(h => h.Value.Seq > 0 && chains.All(c => c.Chain != h.Key)))
            chains.Add(new AuditChainVerification(chain, 0, 0, new AuditBreak(1, AuditProblems.RowsMissing, $"no row is left of a chain whose head says {head.Seq}")));

        chains.Sort((a, b) => string.CompareOrdinal(a.Chain, b.Chain));
        return new AuditVerification(chains.All(c => c.FirstBreak is null), chains, DateTime.UtcNow);
    }

    private sealed class ChainWalk(string chain)
    {
        private long rows;
        private long lastSeq;
        private string lastHash = AuditHash.Genesis;
        private AuditBreak? firstBreak;

        public string Chain { get; } = chain;

        public void Next(AuditRecord row)
        {
            rows++;
            if (firstBreak is null)
            {
                if (row.Seq != lastSeq + 1)
                    firstBreak = new AuditBreak(row.Seq, AuditProblems.RowsMissing, $"rows {lastSeq + 1} to {row.Seq - 1} are missing before this one");
                else if (AuditHash.Of(row) != row.RowHash)
                    firstBreak = new AuditBreak(row.Seq, AuditProblems.RowAltered, "the row's content does not match its hash");
                else if (row.PreviousHash != lastHash)
                    firstBreak = new AuditBreak(row.Seq, AuditProblems.ChainBroken, "the row does not follow the row before it");
            }

            lastSeq = row.Seq;
            lastHash = row.RowHash;
        }

        public AuditChainVerification Finish(IReadOnlyDictionary<string, (long Seq, string Hash)> heads)
        {
            if (firstBreak is null && heads.TryGetValue(Chain, out var head) && head.Seq > lastSeq)
                firstBreak = new AuditBreak(lastSeq + 1, AuditProblems.RowsMissing, $"the chain's last rows are missing: it ends at {lastSeq}, its head says {head.Seq}");
            return new AuditChainVerification(Chain, rows, lastSeq, firstBreak);
        }
    }
}
