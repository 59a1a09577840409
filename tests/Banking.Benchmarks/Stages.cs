using MySqlConnector;

namespace Banking.Benchmarks;

public sealed record StageTiming(string System, string From, string To, int Count, double MeanMs, double P50Ms, double P90Ms);

/// <summary>Splits the sequential saga transfers into their steps, from the orchestrator's timeline (transfer_event).</summary>
public static class Stages
{
    public static async Task<List<StageTiming>> MeasureAsync(string core, IEnumerable<(string System, string Contention, string TransferId, DateTime SubmittedUtc, DateTime? FinalUtc)> transfers)
    {
        var samples = new Dictionary<(string System, int Order, string From, string To), List<double>>();
        void Add(string system, int order, string from, string to, DateTime a, DateTime b)
        {
            var key = (system, order, from, to);
            if (!samples.TryGetValue(key, out var list)) samples[key] = list = [];
            list.Add((b - a).TotalMilliseconds);
        }

        await using var connection = new MySqlConnection(core);
        await connection.OpenAsync();
        foreach (var group in transfers.Where(t => t.FinalUtc is not null && t.Contention == "uniform").GroupBy(t => t.System))
        {
            foreach (var transfer in group.Skip(2))
            {
                await using var command = new MySqlCommand("SELECT event_type, occurred_at FROM transfer_event WHERE transfer_id = @id ORDER BY id", connection);
                command.Parameters.AddWithValue("@id", transfer.TransferId);
                var events = new List<(string Type, DateTime At)>();
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync()) events.Add((reader.GetString(0), DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc)));
                }

                if (events.Count == 0) continue;
                Add(group.Key, 0, "client submits", events[0].Type, transfer.SubmittedUtc, events[0].At);
                for (var i = 1; i < events.Count; i++) Add(group.Key, i, events[i - 1].Type, events[i].Type, events[i - 1].At, events[i].At);
                Add(group.Key, 99, events[^1].Type, "client sees final event", events[^1].At, transfer.FinalUtc!.Value);
                Add(group.Key, 100, "client submits", "client sees final event (total)", transfer.SubmittedUtc, transfer.FinalUtc!.Value);
            }
        }

        return [.. samples.OrderBy(s => s.Key.System).ThenBy(s => s.Key.Order).Select(s =>
        {
            var sorted = s.Value.Order().ToList();
            return new StageTiming(s.Key.System, s.Key.From, s.Key.To, sorted.Count, Math.Round(sorted.Average(), 2),
                Math.Round(sorted[sorted.Count / 2], 2), Math.Round(sorted[(int)(sorted.Count * 0.9)], 2));
        })];
    }
}
