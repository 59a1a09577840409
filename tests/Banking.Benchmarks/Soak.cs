using System.Diagnostics;
using System.Globalization;

namespace Banking.Benchmarks;

/// <summary>One 30-second window of the soak: what completed in it, and the memory and table sizes at its end.</summary>
public sealed record SoakRow(
    double FromSeconds, double ToSeconds, long Completed, double CompletedPerSecond, long Errors, double? P99Ms,
    Dictionary<string, double> ResidentMb, Dictionary<string, long> TableRows);

public sealed record SoakReport(
    string System, string Contention, int Rate, double Seconds, long Submitted, long Completed, Dictionary<string, long> Errors,
    double DrainSeconds, List<SoakRow> Rows, string Verdict, bool Flat, Dictionary<string, double> ServerCountersPerTransfer,
    Dictionary<string, double>? BrokerPerTransfer, Dictionary<string, long> TableRowsAfterDrain);

/// <summary>
/// Sorts the soak's transfers into windows by when they ended: a transfer counts (and its latency, from when it was
/// due) in the window it completed in, an error in the window it was seen in.
/// </summary>
public sealed class SoakRecorder(long startedAt, TimeSpan window) : IRecorder
{
    private readonly Dictionary<int, (Latency Latency, long Completed, long Errors)> windows = [];
    private readonly Dictionary<string, long> errors = new(StringComparer.Ordinal);
    private static readonly TimeSpan FirstMinute = TimeSpan.FromMinutes(1);
    private readonly Latency firstMinute = new();
    private long submitted;
    private long completed;

    public TimeSpan Window => window;
    public long Submitted => Interlocked.Read(ref submitted);
    public long Completed => Interlocked.Read(ref completed);

    public Dictionary<string, long> Errors()
    {
        lock (errors) return new Dictionary<string, long>(errors);
    }

    public void CountSubmitted() => Interlocked.Increment(ref submitted);

    public void Error(string code)
    {
        lock (errors) errors[code] = errors.GetValueOrDefault(code) + 1;
        var now = Stopwatch.GetTimestamp();
        lock (windows)
        {
            var (latency, done, failed) = WindowAt(now);
            windows[IndexOf(now)] = (latency, done, failed + 1);
        }
    }

    public void Record(long start, Outcome outcome)
    {
        if (outcome.Error is not null)
        {
            Error(outcome.Error);
            return;
        }

        if (outcome.FinalAt is not { } final) return;
        Interlocked.Increment(ref completed);
        Latency latency;
        lock (windows)
        {
            var (existing, done, failed) = WindowAt(final);
            windows[IndexOf(final)] = (existing, done + 1, failed);
            latency = existing;
        }

        latency.Record(start, final);
        if (Stopwatch.GetElapsedTime(startedAt, final) <= FirstMinute) firstMinute.Record(start, final);
    }

    /// <summary>The latency of the transfers that completed in the first minute, the soak's yardstick.</summary>
    public LatencySummary FirstMinuteLatency => firstMinute.Summary();

    /// <summary>The completions and errors of window <paramref name="index"/> (counted from 0).</summary>
    public (long Completed, long Errors, LatencySummary Latency) Of(int index)
    {
        lock (windows)
        {
            return windows.TryGetValue(index, out var w) ? (w.Completed, w.Errors, w.Latency.Summary()) : (0, 0, new Latency().Summary());
        }
    }

    private int IndexOf(long timestamp) => (int)Math.Max(0, Stopwatch.GetElapsedTime(startedAt, timestamp).Ticks / window.Ticks);

    private (Latency, long, long) WindowAt(long timestamp) =>
        windows.TryGetValue(IndexOf(timestamp), out var w) ? w : (new Latency(), 0, 0);

    /// <summary>
    /// Flat when, after the first minute, every window's completed/s and p99 stay within ±20 % of the first minute's.
    /// </summary>
    public static (bool Flat, string Verdict) Judge(IReadOnlyList<SoakRow> rows, double? firstMinuteP99Ms)
    {
        const double Tolerance = 0.20;
        var first = rows.Where(r => r.ToSeconds <= 60.001).ToList();
        var later = rows.Where(r => r.FromSeconds >= 59.999).ToList();
        if (first.Count == 0 || later.Count == 0) return (false, "too short to judge: the verdict compares the windows after the first minute with it (needs more than 60 s)");
        var rate = first.Sum(r => r.Completed) / first.Sum(r => r.ToSeconds - r.FromSeconds);
        var p99 = firstMinuteP99Ms ?? 0;
        var outside = new List<string>();
        foreach (var row in later)
        {
            var span = $"{row.FromSeconds:0}-{row.ToSeconds:0} s";
            if (rate > 0 && Math.Abs(row.CompletedPerSecond / rate - 1) > Tolerance) outside.Add(string.Create(CultureInfo.InvariantCulture, $"{span}: {row.CompletedPerSecond:0.0}/s ({(row.CompletedPerSecond / rate - 1) * 100:+0.0;-0.0} %)"));
            if (p99 > 0 && row.P99Ms is { } p && Math.Abs(p / p99 - 1) > Tolerance) outside.Add(string.Create(CultureInfo.InvariantCulture, $"{span}: p99 {p:0} ms ({(p / p99 - 1) * 100:+0.0;-0.0} %)"));
            if (row.P99Ms is null) outside.Add($"{span}: nothing completed");
        }

        var baseline = string.Create(CultureInfo.InvariantCulture, $"first minute {rate:0.0}/s, p99 {p99:0} ms");
        return outside.Count == 0
            ? (true, $"flat: after the first minute every 30 s window stayed within ±20 % of it ({baseline})")
            : (false, $"not flat ({baseline}): " + string.Join("; ", outside));
    }
}
