using System.Diagnostics;
using System.Text.Json;
using Banking.ServiceDefaults;
using Banking.Testing;

namespace Banking.FaultSuite;

public sealed record FaultSuiteReport(
    string Profile, int Seed, DateTime StartedUtc, double DurationSeconds, int Clients, int Accounts,
    int Attempted, int Acknowledged, IReadOnlyDictionary<string, int> FinalByStatus, IReadOnlyDictionary<string, int> FaultsInjected,
    IReadOnlyDictionary<string, int> ClientErrors, double LongestSecondsToFinalAfterHealing, decimal OpeningTotal, decimal ClosingTotal,
    IReadOnlyList<Violation> Violations, IReadOnlyDictionary<string, int> SupervisorRestarts)
{
    public bool Passed => Violations.Count == 0;
}

/// <summary>One run: servers, platform, accounts, workload under faults, healing, quiescence, checks, report.</summary>
public sealed class FaultSuiteRun(FaultSuiteOptions options, Action<string> log)
{
    public FaultPlatform Platform { get; private set; } = null!;

    public async Task<FaultSuiteReport> RunAsync()
    {
        var started = DateTime.UtcNow;
        log($"fault suite: profile {options.Profile}, seed {options.Seed} (repeat with --seed {options.Seed}), {options.Duration.TotalSeconds:0} s, {options.Clients} clients, {options.RabbitMqNodes} RabbitMQ node(s), {options.Instances} instance(s) of every service, MariaDB {(options.MySqlReplicas ? "with" : "without")} replicas");
        await using var servers = await PrivateServers.StartAsync($"fault-suite-{options.Seed}", rabbitMqNodes: options.RabbitMqNodes, mySqlReplicas: options.MySqlReplicas);
        log($"servers up under {servers.Data}");
        await using var platform = await FaultPlatform.StartAsync(servers, options.Instances);
        Platform = platform;
        var accounts = await platform.OpenAccountsAsync(options.AccountsPerLedger, options.OpeningBalance);
        var opening = await BankInvariants.SnapshotAsync(servers.Ledger1, servers.Ledger2);
        log($"platform up; {accounts.Sources.Count} + {accounts.Destinations.Count} accounts, opening total {opening.Total:0.00}");

        using var supervision = new CancellationTokenSource();
        var supervisor = platform.SuperviseAsync(log, supervision.Token);
        var workload = new Workload(platform, accounts, options);
        var faults = new FaultInjector(platform, workload, options, log);
        using (var stop = new CancellationTokenSource())
        {
            var clock = Stopwatch.StartNew();
            var injecting = faults.RunAsync(stop.Token);
            // The clients keep going while faults are still being injected, and at least for the planned duration.
            var stopping = Task.Run(async () =>
            {
                var rest = options.Duration - clock.Elapsed;
                if (rest > TimeSpan.Zero) await Task.Delay(rest);
                if (!options.RepeatFaults) await injecting.ContinueWith(_ => { }, TaskScheduler.Default);
                await Task.Delay(TimeSpan.FromSeconds(3));
                await stop.CancelAsync();
            });
            var progress = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try { await Task.Delay(TimeSpan.FromSeconds(10), stop.Token); }
                    catch (OperationCanceledException) { break; }
                    log($"  {workload.Attempts.Count} transfers attempted, {workload.Attempts.Values.Count(a => a.Acknowledged)} acknowledged");
                }
            });
            await Task.WhenAll(workload.RunAsync(stop.Token), injecting, stopping, progress);
        }

        log("healing: every server and service up, nothing paused");
        IEnumerable<string> replicas = servers.MySqlReplicas ? ["mysql1-replica", "mysql2-replica"] : [];
        foreach (var server in new[] { "mysql1", "mysql2", "redis" }.Concat(replicas).Concat(Enumerable.Range(1, servers.RabbitMqNodes).Select(PrivateServers.RabbitMqServer)))
            await servers.StartServerAsync(server);
        await platform.HealAsync();
        var healed = Stopwatch.StartNew();
        var longest = await WaitForQuiescenceAsync(servers.Core);
        log($"quiet after {healed.Elapsed.TotalSeconds:0.0} s; checking");
        await supervision.CancelAsync();
        await supervisor;

        if (options.BeforeChecks is { } tamper) await tamper(this);
        var attempts = workload.Attempts.Values.ToList();
        var violations = await BankInvariants.CheckAsync(servers.Ledger1, servers.Ledger2, servers.Core, opening, attempts);
        violations.AddRange(await platform.ReconcileAsync(started, log));
        violations.AddRange(await platform.VerifyAuditAsync());
        var transfers = await BankInvariants.TransfersAsync(servers.Core);
        var closing = await BankInvariants.SnapshotAsync(servers.Ledger1, servers.Ledger2);
        return new FaultSuiteReport(options.Profile, options.Seed, started, (DateTime.UtcNow - started).TotalSeconds, options.Clients,
            accounts.Sources.Count + accounts.Destinations.Count + 1, attempts.Count, attempts.Count(a => a.Acknowledged),
            transfers.Values.GroupBy(t => t.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            faults.Injected.OrderBy(f => f.Key).ToDictionary(), workload.ErrorsByCode.OrderBy(e => e.Key).ToDictionary(),
            longest.TotalSeconds, opening.Total, closing.Total, violations, platform.SupervisorRestarts.OrderBy(r => r.Key).ToDictionary());
    }

    /// <summary>Waits until no transfer is in flight (or the bound passes) and returns how long the last one took.</summary>
    private async Task<TimeSpan> WaitForQuiescenceAsync(string core)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < options.FinalWithin)
        {
            var transfers = await BankInvariants.TransfersAsync(core);
            if (transfers.Values.All(t => BankInvariants.IsFinal(t.Status)))
            {
                // Commands still queued may start transfers the saga has not seen yet: wait one more sweep.
                await Task.Delay(TimeSpan.FromSeconds(5));
                var again = await BankInvariants.TransfersAsync(core);
                if (again.Count == transfers.Count && again.Values.All(t => BankInvariants.IsFinal(t.Status))) return clock.Elapsed - TimeSpan.FromSeconds(5);
                continue;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        return clock.Elapsed;
    }

    public static async Task WriteReportAsync(FaultSuiteReport report, string directory, Action<string> log)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"fault-suite-{report.Profile}-{report.Seed}");
        await File.WriteAllTextAsync(stem + ".json", JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        var lines = new List<string>
        {
            $"| figure | value |",
            $"|---|---|",
            $"| profile, seed | {report.Profile}, {report.Seed} |",
            $"| duration | {report.DurationSeconds:0} s, {report.Clients} clients, {report.Accounts} accounts |",
            $"| transfers attempted | {report.Attempted} |",
            $"| acknowledged (200/202/business error/broker confirm) | {report.Acknowledged} |",
            $"| final by status | {string.Join(", ", report.FinalByStatus.Select(s => $"{s.Key} {s.Value}"))} |",
            $"| faults injected | {string.Join(", ", report.FaultsInjected.Select(f => $"{f.Key} x{f.Value}"))} |",
            $"| client-side errors | {(report.ClientErrors.Count == 0 ? "none" : string.Join(", ", report.ClientErrors.Select(e => $"{e.Key} {e.Value}")))} |",
            $"| services that exited on their own, started again | {(report.SupervisorRestarts.Count == 0 ? "none" : string.Join(", ", report.SupervisorRestarts.Select(r => $"{r.Key} x{r.Value}")))} |",
            $"| longest time to final after healing | {report.LongestSecondsToFinalAfterHealing:0.0} s |",
            $"| money | opening {report.OpeningTotal:0.00}, closing {report.ClosingTotal:0.00} |",
            $"| invariants | {(report.Passed ? "all hold" : $"{report.Violations.Count} violation(s)")} |",
        };
        foreach (var group in report.Violations.GroupBy(v => v.Invariant))
        {
            lines.Add("");
            lines.Add($"VIOLATED: {group.Key} ({group.Count()})");
            lines.AddRange(group.Take(10).Select(v => "  " + v.Detail));
        }

        await File.WriteAllLinesAsync(stem + ".md", lines);
        foreach (var line in lines) log(line);
        log($"report: {stem}.json and {stem}.md");
    }
}
