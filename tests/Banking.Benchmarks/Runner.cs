using System.Collections.Concurrent;
using System.Diagnostics;

namespace Banking.Benchmarks;

/// <summary>Drives one system through the steps: open loop (constant arrival rate) and closed loop (C clients).</summary>
public sealed class Runner(Settings settings, Workload workload, Func<Task<Dictionary<string, long>>> readServerCounters)
{
    /// <summary>Per transfer of the sequential (one client) steps: when it was submitted and when it was final, in UTC.</summary>
    public ConcurrentBag<(string System, string Contention, string TransferId, DateTime SubmittedUtc, DateTime? FinalUtc)> Sequential { get; } = [];

    public async Task WarmUpAsync(ISystemUnderTest system, string contention)
    {
        if (settings.Warmup <= 0 && settings.WarmupSeconds <= 0) return;
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
    /// does not count against the next; gives up after <see cref="Settings.SettleSeconds"/>.
    /// </summary>
    private async Task SettleAsync(ISystemUnderTest system, Step step)
    {
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < settings.SettleSeconds)
        {
            var queued = await system.QueuedAsync();
            if (queued is null) return;
            if (queued == 0 && (await system.OutboxBacklogAsync() ?? 0) == 0) break;
            await Task.Delay(500);
        }

        step.SettleSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public async Task<Step> OpenLoopAsync(ISystemUnderTest system, string contention, int rate)
    {
        var step = new Step(system.Name, contention, "open", rate, settings.StepSeconds);
        await SettleAsync(system, step);
        var before = await readServerCounters();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(settings.StepSeconds + settings.DrainSeconds));
        var running = new List<Task>();
        long inFlight = 0;
        var interval = Stopwatch.Frequency / (double)rate;
        step.StartedAt = Stopwatch.GetTimestamp();
        step.EndsAt = step.StartedAt + (long)(settings.StepSeconds * Stopwatch.Frequency);
        for (long i = 0; ; i++)
        {
            // Latency counts from when the transfer was due, not from when it was sent: no coordinated omission.
            var due = step.StartedAt + (long)(i * interval);
            if (due >= step.EndsAt) break;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            step.CountSubmitted();
            if (Interlocked.Read(ref inFlight) >= settings.MaxInFlight)
            {
                step.Error("CLIENT_OVERLOAD");
                continue;
            }

            Interlocked.Increment(ref inFlight);
            var transfer = workload.Next(contention);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    step.Record(due, await system.RunAsync(transfer, giveUp.Token));
                }
                catch (Exception e)
                {
                    step.Error(e.GetType().Name);
                }
                finally
                {
                    Interlocked.Decrement(ref inFlight);
                }
            }));
        }

        await FinishAsync(system, step, running, before);
        return step;
    }

    public async Task<Step> ClosedLoopAsync(ISystemUnderTest system, string contention, int clients)
    {
        var step = new Step(system.Name, contention, "closed", clients, settings.StepSeconds);
        await SettleAsync(system, step);
        var before = await readServerCounters();
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

        await FinishAsync(system, step, running, before);
        return step;
    }

    private async Task FinishAsync(ISystemUnderTest system, Step step, List<Task> running, Dictionary<string, long> before)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), step.EndsAt);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        var after = await readServerCounters();
        step.OutboxBacklogAtEnd = await system.OutboxBacklogAsync();
        await Task.WhenAll(running);
        step.DrainSeconds = Math.Max(0, Stopwatch.GetElapsedTime(step.EndsAt).TotalSeconds);
        step.OutboxBacklogAfterDrain = await system.OutboxBacklogAsync();
        var completed = Math.Max(1, step.CompletedInWindow);
        foreach (var (name, value) in after)
        {
            if (before.TryGetValue(name, out var start)) step.ServerCounters[name] = Math.Round((value - start) / (double)completed, 2);
        }

        var report = step.Report();
        Console.WriteLine(
            $"  {report.System,-9} {report.Contention,-7} {report.Loop,-6} {report.Load,4}: offered {report.OfferedPerSecond,6:0.0}/s completed {report.CompletedPerSecond,6:0.0}/s" +
            $" | final p50 {report.SubmitToFinal.P50Ms,7:0.0} p99 {report.SubmitToFinal.P99Ms,7:0.0} max {report.SubmitToFinal.MaxMs,7:0.0} ms" +
            (report.Accept.Count > 0 ? $" | accept p50 {report.Accept.P50Ms:0.0} p99 {report.Accept.P99Ms:0.0} ms" : "") +
            (report.Errors.Count > 0 ? " | errors " + string.Join(", ", report.Errors.Select(e => $"{e.Key}={e.Value}")) : "") +
            (report.OutboxBacklogAtEnd is { } backlog ? $" | outbox {backlog}/{report.OutboxBacklogAfterDrain}" : "") +
            $" | drain {report.DrainSeconds:0.0}s" + (report.SettleSecondsBefore > 0.5 ? $" (settled {report.SettleSecondsBefore:0.0}s before)" : ""));
    }
}
