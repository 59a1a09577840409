using System.Collections.Concurrent;
using System.Diagnostics;

namespace Banking.Benchmarks;

/// <summary>Drives one system through the steps: open loop (constant arrival rate) and closed loop (C clients).</summary>
public sealed class Runner(Settings settings, Workload workload, Probes probes)
{
    /// <summary>Per transfer of the sequential (one client) steps: when it was submitted and when it was final, in UTC.</summary>
    public ConcurrentBag<(string System, string Contention, string TransferId, DateTime SubmittedUtc, DateTime? FinalUtc)> Sequential { get; } = [];

    public async Task WarmUpAsync(ISystemUnderTest system, string contention)
    {
        if (settings.Warmup <= 0 && settings.WarmupSeconds <= 0) return;
        if (await system.QueuedAsync() is not null) quietBroker = null;
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(60 + settings.WarmupSeconds));
        var left = settings.Warmup;
        var failures = 0;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref left) >= 0 || Stopwatch.GetElapsedTime(started).TotalSeconds < settings.WarmupSeconds)
            {
                var outcome = await system.RunAsync(workload.Next(contention), giveUp.Token);
                if (outcome.Error is not null && Interlocked.Increment(ref failures) == 1) Console.WriteLine($"    warm-up error: {outcome.Error}");
            }
        })));
    }

    /// <summary>
    /// Waits until the previous step's leftovers (queued messages, outbox rows) are gone, so that one step's overload
    /// does not count against the next; gives up after <see cref="Settings.SettleSeconds"/>. Returns the seconds waited
    /// and whether it got there.
    /// </summary>
    private async Task<(double Seconds, bool Quiet)> SettleAsync(ISystemUnderTest system)
    {
        var start = Stopwatch.GetTimestamp();
        bool quiet;
        while (true)
        {
            var queued = await system.QueuedAsync();
            quiet = queued is null || (queued == 0 && (await system.OutboxBacklogAsync() ?? 0) == 0);
            if (quiet || Stopwatch.GetElapsedTime(start).TotalSeconds >= settings.SettleSeconds) break;
            await Task.Delay(500);
        }

        return (Stopwatch.GetElapsedTime(start).TotalSeconds, quiet);
    }

    /// <summary>The broker's statistics taken with nothing published since; null once anything may have been.</summary>
    private Dictionary<string, long>? quietBroker;

    /// <param name="Broker">Null without a broker, or when the platform was still busy before the step.</param>
    private sealed record Readings(Dictionary<string, long> Counters, Dictionary<string, ServiceScrape> Services, bool HasBroker, Dictionary<string, long>? Broker, long TransfersTakenIn);

    /// <summary>
    /// Everything a step compares before and after it; the broker only for the systems that use it, and only once the
    /// previous work is done (otherwise its last publishes would count against this step).
    /// </summary>
    private async Task<Readings> ReadBeforeAsync(ISystemUnderTest system, bool quiet)
    {
        var hasBroker = await system.QueuedAsync() is not null;
        var broker = hasBroker && quiet ? quietBroker ?? await probes.BrokerSettledAsync() : null;
        quietBroker = null;
        return new Readings(await probes.CountersAsync(), await probes.ScrapeAsync(), hasBroker, broker, broker is null ? 0 : await probes.TransfersTakenInAsync());
    }

    /// <summary>
    /// Submits transfers at <paramref name="rate"/> per second from <paramref name="startedAt"/> until
    /// <paramref name="endsAt"/>; the task it returns ends when the last of them has.
    /// </summary>
    private async Task<Task> ArrivalsAsync(ISystemUnderTest system, string contention, int rate, long startedAt, long endsAt, IRecorder recorder, CancellationToken giveUp)
    {
        var inFlight = new InFlight();
        var interval = Stopwatch.Frequency / (double)rate;
        for (long i = 0; ; i++)
        {
            // Latency counts from when the transfer was due, not from when it was sent: no coordinated omission.
            var due = startedAt + (long)(i * interval);
            if (due >= endsAt) break;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            recorder.CountSubmitted();
            if (inFlight.Count >= settings.MaxInFlight)
            {
                recorder.Error("CLIENT_OVERLOAD");
                continue;
            }

            inFlight.Enter();
            var transfer = workload.Next(contention);
            // Not kept in a list: a soak at 1,500/s would hold a million finished tasks.
            _ = Task.Run(async () =>
            {
                try
                {
                    recorder.Record(due, await system.RunAsync(transfer, giveUp));
                }
                catch (Exception e)
                {
                    recorder.Error(e.GetType().Name);
                }
                finally
                {
                    inFlight.Exit();
                }
            });
        }

        return inFlight.CloseAsync();
    }

    public async Task<Step> OpenLoopAsync(ISystemUnderTest system, string contention, int rate)
    {
        var step = new Step(system.Name, contention, "open", rate, settings.StepSeconds);
        var (settled, quiet) = await SettleAsync(system);
        step.SettleSeconds = settled;
        var before = await ReadBeforeAsync(system, quiet);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(settings.StepSeconds + settings.DrainSeconds));
        step.StartedAt = Stopwatch.GetTimestamp();
        step.EndsAt = step.StartedAt + (long)(settings.StepSeconds * Stopwatch.Frequency);
        var allEnded = await ArrivalsAsync(system, contention, rate, step.StartedAt, step.EndsAt, step, giveUp.Token);
        await FinishAsync(system, step, allEnded, before);
        return step;
    }

    public async Task<Step> ClosedLoopAsync(ISystemUnderTest system, string contention, int clients)
    {
        var step = new Step(system.Name, contention, "closed", clients, settings.StepSeconds);
        var (settled, quiet) = await SettleAsync(system);
        step.SettleSeconds = settled;
        var before = await ReadBeforeAsync(system, quiet);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(settings.StepSeconds + settings.DrainSeconds));
        step.StartedAt = Stopwatch.GetTimestamp();
        step.EndsAt = step.StartedAt + (long)(settings.StepSeconds * Stopwatch.Frequency);
        var running = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < step.EndsAt && !giveUp.IsCancellationRequested)
            {
                var transfer = workload.Next(contention);
                step.CountSubmitted();
                var start = Stopwatch.GetTimestamp();
                var submittedUtc = DateTime.UtcNow;
                try
                {
                    var outcome = await system.RunAsync(transfer, giveUp.Token);
                    step.Record(start, outcome);
                    if (clients == 1)
                    {
                        DateTime? finalUtc = outcome.FinalAt is { } at ? submittedUtc + Stopwatch.GetElapsedTime(start, at) : null;
                        Sequential.Add((system.Name, contention, transfer.Id, submittedUtc, finalUtc));
                    }
                }
                catch (Exception e)
                {
                    step.Error(e.GetType().Name);
                }
            }
        })).ToList();

        await FinishAsync(system, step, Task.WhenAll(running), before);
        return step;
    }

    /// <summary>Each counter's growth divided by the transfers it served; nothing when none did (the columns show n/a).</summary>
    /// <param name="fromZero">A counter missing before started at zero (the broker shows a statistic once it is non-zero).</param>
    private static Dictionary<string, double> PerTransfer(Dictionary<string, long> before, Dictionary<string, long> after, long transfers, bool fromZero = false)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (transfers <= 0) return values;
        foreach (var (name, value) in after)
        {
            if (before.TryGetValue(name, out var start) || fromZero) values[name] = Math.Round((value - start) / (double)transfers, 2);
        }

        return values;
    }

    /// <summary>
    /// After the drain: waits until nothing is queued or in an outbox and the broker's statistics have caught up, so
    /// that the step's publishes are all counted (they go on after the step, while its transfers finish). Null when
    /// the platform was still busy after <see cref="Settings.SettleSeconds"/>: the count would be short.
    /// </summary>
    private async Task<(Dictionary<string, long>? Broker, double Seconds)> ReadBrokerAfterAsync(ISystemUnderTest system)
    {
        var start = Stopwatch.GetTimestamp();
        var (_, quiet) = await SettleAsync(system);
        quietBroker = quiet ? await probes.BrokerSettledAsync() : null;
        return (quietBroker, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private async Task FinishAsync(ISystemUnderTest system, Step step, Task allEnded, Readings before)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), step.EndsAt);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        var after = await probes.CountersAsync();
        var scrapes = await probes.ScrapeAsync();
        step.OutboxBacklogAtEnd = await system.OutboxBacklogAsync();
        await allEnded;
        step.DrainSeconds = Math.Max(0, Stopwatch.GetElapsedTime(step.EndsAt).TotalSeconds);
        step.OutboxBacklogAfterDrain = await system.OutboxBacklogAsync();
        foreach (var (name, value) in PerTransfer(before.Counters, after, step.CompletedInWindow)) step.ServerCounters[name] = value;
        foreach (var (name, value) in RuntimePerTransfer(before.Services, scrapes, step.CompletedInWindow)) step.Runtime[name] = value;
        foreach (var (endpoint, sizes) in GroupSizes(before.Services, scrapes)) step.GroupSizes[endpoint] = sizes;
        if (before.Broker is not null)
        {
            // Once the platform is quiet every transfer it took in has ended, in time or not, and all their publishes count.
            var (broker, seconds) = await ReadBrokerAfterAsync(system);
            if (broker is not null) step.Broker = PerTransfer(before.Broker, broker, await probes.TransfersTakenInAsync() - before.TransfersTakenIn, fromZero: true);
            step.QuietSeconds = seconds;
        }

        step.BrokerNotCounted = before.HasBroker && step.Broker is null;

        if (before.Counters.TryGetValue(LoadGenerator, out var generatorBefore) && after.TryGetValue(LoadGenerator, out var generatorAfter))
            step.LoadGeneratorCpuPercent = Math.Round((generatorAfter - generatorBefore) / (10.0 * step.Seconds), 1);

        var report = step.Report();
        Console.WriteLine(
            $"  {report.System,-9} {report.Contention,-7} {report.Loop,-6} {report.Load,4}: offered {report.OfferedPerSecond,6:0.0}/s completed {report.CompletedPerSecond,6:0.0}/s" +
            $" | final p50 {report.SubmitToFinal.P50Ms,7:0.0} p99 {report.SubmitToFinal.P99Ms,7:0.0} max {report.SubmitToFinal.MaxMs,7:0.0} ms" +
            (report.Accept.Count > 0 ? $" | accept p50 {report.Accept.P50Ms:0.0} p99 {report.Accept.P99Ms:0.0} ms" : "") +
            (report.Errors.Count > 0 ? " | errors " + string.Join(", ", report.Errors.Select(e => $"{e.Key}={e.Value}")) : "") +
            (report.OutboxBacklogAtEnd is { } backlog ? $" | outbox {backlog}/{report.OutboxBacklogAfterDrain}" : "") +
            $" | drain {report.DrainSeconds:0.0}s" + (report.SettleSecondsBefore > 0.5 ? $" (settled {report.SettleSecondsBefore:0.0}s before)" : "") +
            (report.BrokerPerTransfer is { } perTransfer ? $" | publishes/transfer {perTransfer.GetValueOrDefault("publish"):0.0}" : "") +
            (report.BrokerNotCounted ? " | publishes not counted (not quiet)" : "") +
            $" | benchmark CPU {report.LoadGeneratorCpuPercent:0}% of a core");
    }

    /// <summary>Allocated KB and thread-pool work items per transfer, by .NET service (only where both scrapes have them; none without transfers).</summary>
    private static Dictionary<string, double> RuntimePerTransfer(Dictionary<string, ServiceScrape> before, Dictionary<string, ServiceScrape> after, long transfers)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (transfers <= 0) return values;
        var divisor = (double)transfers;
        foreach (var (service, scrape) in after)
        {
            if (!before.TryGetValue(service, out var start)) continue;
            if (scrape.AllocatedBytes is { } allocated && start.AllocatedBytes is { } allocatedBefore)
                values[$"alloc_kb.{service}"] = Math.Round((allocated - allocatedBefore) / 1024 / divisor, 1);
            if (scrape.WorkItems is { } items && start.WorkItems is { } itemsBefore)
                values[$"work_items.{service}"] = Math.Round((items - itemsBefore) / divisor, 1);
        }

        return values;
    }

    /// <summary>The group sizes each endpoint committed between two scrapes, over all services that export them.</summary>
    private static Dictionary<string, GroupSizeSummary> GroupSizes(Dictionary<string, ServiceScrape> before, Dictionary<string, ServiceScrape> after)
    {
        var deltas = new Dictionary<string, ScrapedHistogram>(StringComparer.Ordinal);
        foreach (var (service, scrape) in after)
        {
            var start = before.GetValueOrDefault(service);
            foreach (var (endpoint, histogram) in scrape.GroupSizes)
            {
                if (!deltas.TryGetValue(endpoint, out var sum)) deltas[endpoint] = sum = new ScrapedHistogram();
                sum.Add(histogram.Minus(start?.GroupSizes.GetValueOrDefault(endpoint)));
            }
        }

        var summaries = new Dictionary<string, GroupSizeSummary>(StringComparer.Ordinal);
        foreach (var (endpoint, delta) in deltas)
        {
            if (GroupSizeSummary.Of(delta) is { } summary) summaries[endpoint] = summary;
        }

        return summaries;
    }

    /// <summary>
    /// The soak: an open loop at <paramref name="rate"/> per second for <paramref name="seconds"/>, with one row per
    /// 30 s (completed/s, p99, memory of each process, inbox and outbox rows), printed as it goes.
    /// </summary>
    public async Task<SoakReport> SoakAsync(ISystemUnderTest system, string contention, int rate, double seconds)
    {
        var (_, quiet) = await SettleAsync(system);
        var before = await ReadBeforeAsync(system, quiet);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + settings.DrainSeconds));
        var startedAt = Stopwatch.GetTimestamp();
        var endsAt = startedAt + (long)(seconds * Stopwatch.Frequency);
        var recorder = new SoakRecorder(startedAt, SoakWindow);
        var arrivals = ArrivalsAsync(system, contention, rate, startedAt, endsAt, recorder, giveUp.Token);
        var rows = new List<SoakRow>();
        var processes = new List<string>();
        for (var index = 0; index * SoakWindow.TotalSeconds < seconds; index++)
        {
            var from = index * SoakWindow.TotalSeconds;
            var to = Math.Min(seconds, from + SoakWindow.TotalSeconds);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), startedAt + (long)(to * Stopwatch.Frequency));
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var memory = probes.ResidentMegabytes();
            var tables = await probes.InboxOutboxRowsAsync();
            // A transfer that ended just before the boundary may still be on its way into the recorder.
            await Task.Delay(500);
            var (completed, errors, latency) = recorder.Of(index);
            var row = new SoakRow(from, to, completed, Math.Round(completed / (to - from), 1), errors, latency.P99Ms, memory, tables);
            rows.Add(row);
            if (index == 0) processes = [.. memory.Keys.Order(StringComparer.Ordinal)];
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  soak {from,4:0}-{to,4:0} s: completed {row.CompletedPerSecond,6:0.0}/s errors {errors,4} p99 {latency.P99Ms,8:0.0} ms | RSS MB ") +
                string.Join(" ", processes.Select(p => $"{p}={memory.GetValueOrDefault(p):0}")) + " | rows " + string.Join(" ", tables.Select(t => $"{t.Key}={t.Value}")));
        }

        var counters = await probes.CountersAsync();
        await await arrivals;
        var drain = Math.Max(0, Stopwatch.GetElapsedTime(endsAt).TotalSeconds);
        var inWindow = rows.Sum(r => r.Completed);
        var perTransfer = PerTransfer(before.Counters, counters, inWindow);
        Dictionary<string, double>? broker = null;
        if (before.Broker is not null && (await ReadBrokerAfterAsync(system)).Broker is { } brokerAfter)
            broker = PerTransfer(before.Broker, brokerAfter, await probes.TransfersTakenInAsync() - before.TransfersTakenIn, fromZero: true);
        var (flat, verdict) = SoakRecorder.Judge(rows, recorder.FirstMinuteLatency.P99Ms);
        Console.WriteLine($"  soak verdict: {verdict}");
        return new SoakReport(system.Name, contention, rate, seconds, recorder.Submitted, recorder.Completed, recorder.Errors(), Math.Round(drain, 2),
            rows, verdict, flat, perTransfer, broker, await probes.InboxOutboxRowsAsync());
    }

    private static readonly TimeSpan SoakWindow = TimeSpan.FromSeconds(30);

    private const string LoadGenerator = "cpu_ms.benchmark";

    /// <summary>Counts the transfers still running; once no more are submitted, its task ends with the last of them.</summary>
    private sealed class InFlight
    {
        private readonly TaskCompletionSource allEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long count;
        private volatile bool closed;

        public long Count => Interlocked.Read(ref count);

        public void Enter() => Interlocked.Increment(ref count);

        public void Exit()
        {
            if (Interlocked.Decrement(ref count) == 0 && closed) allEnded.TrySetResult();
        }

        public Task CloseAsync()
        {
            closed = true;
            if (Interlocked.Read(ref count) == 0) allEnded.TrySetResult();
            return allEnded.Task;
        }
    }
}
