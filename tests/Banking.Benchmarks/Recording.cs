using System.Diagnostics;
using HdrHistogram;

namespace Banking.Benchmarks;

/// <summary>
/// What became of one transfer: when its submission was accepted (HTTP answer or broker confirm; the baselines have
/// none) and when it was final, as <see cref="Stopwatch"/> timestamps, or the error that ended it.
/// </summary>
public readonly record struct Outcome(long? AcceptedAt, long? FinalAt, string? Error)
{
    public static Outcome Failed(string error) => new(null, null, error);
}

/// <summary>The system under test: the saga (through REST or straight into RabbitMQ) or one of the baselines.</summary>
public interface ISystemUnderTest : IAsyncDisposable
{
    string Name { get; }

    string Description { get; }

    /// <summary>Runs one transfer to its end (or until <paramref name="giveUp"/>).</summary>
    Task<Outcome> RunAsync(TransferSpec transfer, CancellationToken giveUp);

    /// <summary>Rows waiting in the outbox_message tables (null where there is no outbox).</summary>
    Task<long?> OutboxBacklogAsync();

    /// <summary>Messages waiting in the broker's queues (null where there is no broker).</summary>
    Task<long?> QueuedAsync();
}

/// <summary>A latency distribution in microseconds, safe to record into from many tasks.</summary>
public sealed class Latency
{
    private readonly LongHistogram histogram = new(TimeSpan.FromMinutes(10).Ticks / 10, 3);

    public void Record(long fromTimestamp, long toTimestamp)
    {
        var micros = Math.Max(1, (long)Stopwatch.GetElapsedTime(fromTimestamp, toTimestamp).TotalMicroseconds);
        lock (histogram) histogram.RecordValue(Math.Min(micros, histogram.HighestTrackableValue));
    }

    public LatencySummary Summary()
    {
        lock (histogram)
        {
            if (histogram.TotalCount == 0) return new LatencySummary(0, null, null, null, null, null, null);
            double Ms(double percentile) => Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 2);
            return new LatencySummary(histogram.TotalCount, Ms(50), Ms(95), Ms(99), Ms(99.9), Math.Round(histogram.GetMaxValue() / 1000.0, 2),
                Math.Round(histogram.GetMean() / 1000.0, 2));
        }
    }
}

public sealed record LatencySummary(long Count, double? P50Ms, double? P95Ms, double? P99Ms, double? P999Ms, double? MaxMs, double? MeanMs);

/// <summary>Where the arrival loop reports what became of each transfer it submitted.</summary>
public interface IRecorder
{
    void CountSubmitted();

    void Error(string code);

    /// <summary>A transfer that started (or was due to start, in the open loop) at <paramref name="start"/> has ended.</summary>
    void Record(long start, Outcome outcome);
}

/// <summary>One step: a system, a contention pattern, an arrival rate (open loop) or a client count (closed loop).</summary>
public sealed class Step(string system, string contention, string loop, int load, double seconds) : IRecorder
{
    private readonly Dictionary<string, long> errors = new(StringComparer.Ordinal);
    private long submitted;
    private long completedInWindow;
    private long completedTotal;

    public string System { get; } = system;
    public string Contention { get; } = contention;

    /// <summary><c>open</c> (constant arrival rate) or <c>closed</c> (clients that wait for each transfer).</summary>
    public string Loop { get; } = loop;

    /// <summary>Transfers/s (open loop) or clients (closed loop).</summary>
    public int Load { get; } = load;

    public double Seconds { get; } = seconds;
    public long StartedAt { get; set; }
    public long EndsAt { get; set; }
    public Latency Accept { get; } = new();
    public Latency Final { get; } = new();
    public double DrainSeconds { get; set; }
    public double SettleSeconds { get; set; }
    public long? OutboxBacklogAtEnd { get; set; }
    public long? OutboxBacklogAfterDrain { get; set; }
    public Dictionary<string, double> ServerCounters { get; } = new(StringComparer.Ordinal);

    /// <summary>Per completed transfer, by .NET service: <c>alloc_kb.NAME</c> and <c>work_items.NAME</c>.</summary>
    public Dictionary<string, double> Runtime { get; } = new(StringComparer.Ordinal);

    /// <summary>banking_group_commit_size during the step, by endpoint; empty while the services do not export it.</summary>
    public Dictionary<string, GroupSizeSummary> GroupSizes { get; } = new(StringComparer.Ordinal);

    /// <summary>The virtual host's message statistics per transfer completed in the step or its drain; null without a broker.</summary>
    public Dictionary<string, double>? Broker { get; set; }

    /// <summary>The system uses the broker, but the platform was not quiet before or after the step: no publishes counted.</summary>
    public bool BrokerNotCounted { get; set; }

    /// <summary>The load generator's (this process's) CPU time during the step, in % of one core.</summary>
    public double? LoadGeneratorCpuPercent { get; set; }

    /// <summary>After the drain: seconds until the queues and outboxes were empty and the broker's statistics had caught up.</summary>
    public double? QuietSeconds { get; set; }

    public long Submitted => Interlocked.Read(ref submitted);
    public long CompletedInWindow => Interlocked.Read(ref completedInWindow);
    public long CompletedTotal => Interlocked.Read(ref completedTotal);

    public void CountSubmitted() => Interlocked.Increment(ref submitted);

    public void Error(string code)
    {
        lock (errors) errors[code] = errors.GetValueOrDefault(code) + 1;
    }

    /// <summary>Records a transfer that started (or was due to start, in the open loop) at <paramref name="start"/>.</summary>
    public void Record(long start, Outcome outcome)
    {
        if (outcome.AcceptedAt is { } accepted) Accept.Record(start, accepted);
        if (outcome.Error is not null)
        {
            Error(outcome.Error);
            return;
        }

        if (outcome.FinalAt is not { } final) return;
        Final.Record(start, final);
        Interlocked.Increment(ref completedTotal);
        if (final <= EndsAt) Interlocked.Increment(ref completedInWindow);
    }

    public StepReport Report() => new(
        System, Contention, Loop, Load, Seconds,
        Submitted, Math.Round(Submitted / Seconds, 1), CompletedInWindow, Math.Round(CompletedInWindow / Seconds, 1), CompletedTotal,
        Accept.Summary(), Final.Summary(), ErrorsSnapshot(), Math.Round(DrainSeconds, 2), Math.Round(SettleSeconds, 2), OutboxBacklogAtEnd, OutboxBacklogAfterDrain,
        new Dictionary<string, double>(ServerCounters), new Dictionary<string, double>(Runtime), new Dictionary<string, GroupSizeSummary>(GroupSizes),
        Broker, BrokerNotCounted, QuietSeconds is { } quiet ? Math.Round(quiet, 2) : null, LoadGeneratorCpuPercent);

    private Dictionary<string, long> ErrorsSnapshot()
    {
        lock (errors) return new Dictionary<string, long>(errors);
    }
}

public sealed record StepReport(
    string System, string Contention, string Loop, int Load, double Seconds,
    long Submitted, double OfferedPerSecond, long CompletedInWindow, double CompletedPerSecond, long CompletedTotal,
    LatencySummary Accept, LatencySummary SubmitToFinal, Dictionary<string, long> Errors, double DrainSeconds, double SettleSecondsBefore,
    long? OutboxBacklogAtEnd, long? OutboxBacklogAfterDrain, Dictionary<string, double> ServerCountersPerTransfer,
    Dictionary<string, double> RuntimePerTransfer, Dictionary<string, GroupSizeSummary> GroupSizes, Dictionary<string, double>? BrokerPerTransfer, bool BrokerNotCounted, double? QuietSeconds, double? LoadGeneratorCpuPercent);
