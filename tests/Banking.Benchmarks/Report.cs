using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MySqlConnector;

namespace Banking.Benchmarks;

public sealed record Machine(int Cores, string CpuModel, double RamGiB, string Os, string Runtime, string MariaDb1, string MariaDb2)
{
    public static async Task<Machine> DescribeAsync(string mysql1, string mysql2)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        var ram = File.Exists("/proc/meminfo")
            ? double.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024 / 1024
            : 0;
        return new Machine(Environment.ProcessorCount, cpu, Math.Round(ram, 1), System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, await VersionAsync(mysql1), await VersionAsync(mysql2));
    }

    private static async Task<string> VersionAsync(string connectionString)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT CONCAT(VERSION(), ', innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit, ', sync_binlog=', @@sync_binlog, ', log_bin=', @@log_bin)", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}

public sealed record Headline(string Contention, string System, double SustainedPerSecond, string AtStep, double? P99Ms);

public sealed record RunReport(
    DateTime StartedUtc, double DurationSeconds, string Command, Machine Machine, Settings Settings, Dictionary<string, string> Systems,
    List<StepReport> Steps, List<Headline> Headlines, Dictionary<string, double> Ratios, List<StageTiming> SagaStages, SoakReport? Soak, List<string> Notes);

public static class Reports
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>
    /// The most a system sustained: the highest completed/s of a step in which it kept up (closed loop: always; open
    /// loop: at least 99 % of the offered transfers done, with no errors, within a second after the step).
    /// </summary>
    public static Headline? Sustained(IEnumerable<StepReport> steps, string system, string contention)
    {
        var kept = steps.Where(s => s.System == system && s.Contention == contention)
            .Where(s => s.Loop == "closed" || (s.CompletedTotal >= 0.99 * s.Submitted && s.Errors.Count == 0 && s.DrainSeconds < 1.0))
            .MaxBy(s => s.CompletedPerSecond);
        return kept is null ? null : new Headline(contention, system, kept.CompletedPerSecond, $"{kept.Loop} {kept.Load}", kept.SubmitToFinal.P99Ms);
    }

    public static string Markdown(RunReport run)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run {run.StartedUtc:yyyy-MM-dd HH:mm} UTC, {run.DurationSeconds:0} s: `{run.Command}`").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {run.Machine.Cores} cores, {run.Machine.CpuModel}, {run.Machine.RamGiB} GiB RAM, {run.Machine.Os}, {run.Machine.Runtime}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"MariaDB 1: {run.Machine.MariaDb1}; MariaDB 2: {run.Machine.MariaDb2}.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Settings: steps of {run.Settings.StepSeconds} s (+ up to {run.Settings.DrainSeconds} s drain), open-loop rates {string.Join(", ", run.Settings.Rates)}/s, " +
            $"closed-loop clients {string.Join(", ", run.Settings.Clients)}, {run.Settings.Accounts} accounts per ledger, hot-spot = {run.Settings.HotShare:P0} of transfers on {run.Settings.HotAccounts} accounts per ledger, warm-up {run.Settings.Warmup} transfers and at least {run.Settings.WarmupSeconds} s.").AppendLine();
        foreach (var (name, description) in run.Systems) md.AppendLine(CultureInfo.InvariantCulture, $"- `{name}`: {description}");
        md.AppendLine();

        md.AppendLine("| Contention | System | Sustained transfers/s | at step | p99 submit-to-final (ms) |");
        md.AppendLine("|---|---|--:|---|--:|");
        foreach (var h in run.Headlines) md.AppendLine(CultureInfo.InvariantCulture, $"| {h.Contention} | {h.System} | {h.SustainedPerSecond:0.0} | {h.AtStep} | {h.P99Ms:0.0} |");
        md.AppendLine();
        if (run.Ratios.Count > 0)
        {
            md.AppendLine("| Ratio (sustained transfers/s) | Value |");
            md.AppendLine("|---|--:|");
            foreach (var (name, value) in run.Ratios) md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value:0.000} |");
            md.AppendLine();
        }

        md.AppendLine("All latencies in ms. Open loop: latency counts from when a transfer was due. Accept = HTTP answer (saga-rest) or broker confirm (saga-mq). Outbox = rows in the three outbox_message tables at the end of the step / after the drain. Settle = seconds waited before the step for the previous step's queued messages and outbox rows to clear. Submit-to-final percentiles cover successful transfers only: under overload, timed-out transfers (errors) are not in them.").AppendLine();
        md.AppendLine("| System | Contention | Loop | Load | Offered/s | Completed/s | Accept p50 | Accept p99 | Final p50 | p95 | p99 | p99.9 | max | Errors | Outbox | Drain s | Settle s |");
        md.AppendLine("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|--:|--:|");
        foreach (var s in run.Steps)
        {
            var f = s.SubmitToFinal;
            var errors = s.Errors.Count == 0 ? "" : string.Join("; ", s.Errors.Select(e => $"{e.Key} ×{e.Value}"));
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.System} | {s.Contention} | {s.Loop} | {s.Load}{(s.Loop == "open" ? "/s" : " cl")} | {s.OfferedPerSecond:0.0} | {s.CompletedPerSecond:0.0} | {N(s.Accept.P50Ms)} | {N(s.Accept.P99Ms)} | " +
                $"{N(f.P50Ms)} | {N(f.P95Ms)} | {N(f.P99Ms)} | {N(f.P999Ms)} | {N(f.MaxMs)} | {errors} | {(s.OutboxBacklogAtEnd is null ? "" : $"{s.OutboxBacklogAtEnd}/{s.OutboxBacklogAfterDrain}")} | {s.DrainSeconds:0.0} | {s.SettleSecondsBefore:0.0} |");
        }

        md.AppendLine();
        if (run.Steps.Count > 0) PerTransferTables(md, run.Steps);
        if (run.Soak is { } soak) SoakTables(md, soak);

        if (run.SagaStages.Count > 0)
        {
            md.AppendLine("Where a sequential saga transfer spends its time (one client, uniform; from transfer_event.occurred_at, transfer_log, and this process's clock; same machine, same clock):").AppendLine();
            md.AppendLine("| System | From | To | Transfers | Mean ms | p50 ms | p90 ms |");
            md.AppendLine("|---|---|---|--:|--:|--:|--:|");
            foreach (var t in run.SagaStages) md.AppendLine(CultureInfo.InvariantCulture, $"| {t.System} | {t.From} | {t.To} | {t.Count} | {t.MeanMs:0.0} | {t.P50Ms:0.0} | {t.P90Ms:0.0} |");
            md.AppendLine();
        }

        foreach (var note in run.Notes) md.AppendLine("- " + note);
        return md.ToString();
    }

    private static string N(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "";

    /// <summary>Latency percentiles (log scale) against offered load for the open-loop steps of one contention pattern.</summary>
    public static void Chart(RunReport run, string contention, string path)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var index = 0;
        foreach (var system in run.Steps.Where(s => s.Contention == contention).Select(s => s.System).Distinct())
        {
            var steps = run.Steps.Where(s => s.System == system && s.Contention == contention && s.Loop == "open" && s.SubmitToFinal.Count > 0).OrderBy(s => s.Load).ToList();
            if (steps.Count == 0) continue;
            var color = palette.GetColor(index++);
            double[] xs = [.. steps.Select(s => s.OfferedPerSecond)];
            foreach (var (label, pick, pattern) in new (string, Func<LatencySummary, double?>, ScottPlot.LinePattern)[]
                     {
                         ("p50", l => l.P50Ms, ScottPlot.LinePattern.Dotted),
                         ("p99", l => l.P99Ms, ScottPlot.LinePattern.Solid),
                         ("p99.9", l => l.P999Ms, ScottPlot.LinePattern.Dashed),
                     })
            {
                double[] ys = [.. steps.Select(s => Math.Log10(Math.Max(0.01, pick(s.SubmitToFinal) ?? 0.01)))];
                var line = plot.Add.Scatter(xs, ys);
                line.Color = color;
                line.LinePattern = pattern;
                line.LineWidth = 2;
                line.MarkerSize = 6;
                line.LegendText = $"{system} {label}";
            }
        }

        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = y => Math.Pow(10, y).ToString("0.##", CultureInfo.InvariantCulture),
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
        };
        plot.Axes.Left.TickGenerator = ticks;
        plot.Title($"Submit-to-final latency vs offered load ({contention} contention, {run.Machine.Cores} cores)");
        plot.XLabel("offered load (transfers/s, open loop)");
        plot.YLabel("latency (ms, log scale)");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 1100, 650);
    }

    private const string CpuPrefix = "cpu_ms.";

    private static string Load(StepReport s) => $"{s.Load}{(s.Loop == "open" ? "/s" : " cl")}";

    private static string StepColumns(StepReport s) => $"| {s.System} | {s.Contention} | {s.Loop} | {Load(s)} | ";

    private static string F(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "n/a";

    private static void PerTransferTables(StringBuilder md, List<StepReport> steps)
    {
        // Servers as the counters name them: mariadb:PORT.
        var servers = steps.SelectMany(s => s.ServerCountersPerTransfer.Keys).Where(k => k.StartsWith("mariadb:", StringComparison.Ordinal))
            .Select(k => k[..k.IndexOf('.', StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal).ToList();
        double? Sum(StepReport s, string server, params string[] names) =>
            names.Any(n => s.ServerCountersPerTransfer.ContainsKey($"{server}.{n}")) ? names.Sum(n => s.ServerCountersPerTransfer.GetValueOrDefault($"{server}.{n}")) : null;
        string Broker(StepReport s, string name) => s.BrokerPerTransfer is { } b
            ? b.Count == 0 ? "n/a" : F(b.GetValueOrDefault(name))
            : s.BrokerNotCounted ? "not quiet" : "";

        md.AppendLine("Per completed transfer, by server (global counters: anything else using the servers is included). Statements = `Questions` (every statement a client sent, BEGIN/COMMIT/SET included); DML = `Com_select` + `Com_insert` + `Com_update` + `Com_delete`; commits = `Com_commit` + `Com_xa_commit` (explicit commits: a statement in autocommit mode is not one, see `Handler_commit` below). Broker = the run's virtual host's message_stats (publish, confirm, ack) from before the step until the platform was quiet again, per transfer the saga took in meanwhile (new transfer_log rows), read once the management statistics had caught up (Quiet s: seconds that took after the drain; `not quiet`: queues or outboxes not empty within the settle time before or after the step, so no count). A step in which no transfer completed shows n/a per transfer.").AppendLine();
        md.AppendLine("| System | Contention | Loop | Load | " + string.Join(" | ", servers.Select(v => $"Statements {v[8..]}")) + " | " + string.Join(" | ", servers.Select(v => $"DML {v[8..]}")) + " | " +
            string.Join(" | ", servers.Select(v => $"Commits {v[8..]}")) + " | Broker publishes | confirms | acks | Quiet s |");
        md.AppendLine("|---|---|---|--:|" + string.Concat(Enumerable.Repeat("--:|", servers.Count * 3 + 4)));
        foreach (var s in steps)
        {
            md.AppendLine(StepColumns(s) + string.Join(" | ", servers.Select(v => F(Sum(s, v, "Questions")))) + " | " +
                string.Join(" | ", servers.Select(v => F(Sum(s, v, "Com_select", "Com_insert", "Com_update", "Com_delete")))) + " | " +
                string.Join(" | ", servers.Select(v => F(Sum(s, v, "Com_commit", "Com_xa_commit")))) + " | " +
                $"{Broker(s, "publish")} | {Broker(s, "confirm")} | {Broker(s, "ack")} | {(s.QuietSeconds is { } q ? q.ToString("0.0", CultureInfo.InvariantCulture) : "")} |");
        }

        md.AppendLine();
        md.AppendLine("CPU milliseconds per completed transfer, by process (user + system time from /proc; server figures include anything else using the servers; `benchmark` is the load generator, and the baselines' own work). Generator % = the benchmark process's CPU during the step in % of one core: near 100 × cores it would be the bottleneck.").AppendLine();
        CounterTable(md, steps, name => name.StartsWith(CpuPrefix, StringComparison.Ordinal), name => name[CpuPrefix.Length..], s => F(s.LoadGeneratorCpuPercent), "Generator %");

        var services = steps.SelectMany(s => s.RuntimePerTransfer.Keys).Select(k => k[(k.IndexOf('.', StringComparison.Ordinal) + 1)..]).Distinct().Order(StringComparer.Ordinal).ToList();
        md.AppendLine(".NET runtime per completed transfer, by service, from each service's /metrics (`dotnet.gc.heap.total_allocated` and `dotnet.thread_pool.work_item.count` of System.Runtime): KB allocated and thread-pool work items. Whatever else a service does meanwhile (health checks, polling, the scrapes themselves) is included.").AppendLine();
        if (services.Count == 0)
        {
            md.AppendLine("(n/a: no service exported the runtime metrics)").AppendLine();
        }
        else
        {
            md.AppendLine("| System | Contention | Loop | Load | " + string.Join(" | ", services.Select(v => $"KB {v}")) + " | " + string.Join(" | ", services.Select(v => $"Work items {v}")) + " |");
            md.AppendLine("|---|---|---|--:|" + string.Concat(Enumerable.Repeat("--:|", services.Count * 2)));
            foreach (var s in steps)
            {
                string Value(string key) => s.RuntimePerTransfer.TryGetValue(key, out var v) ? F(v) : "n/a";
                md.AppendLine(StepColumns(s) + string.Join(" | ", services.Select(v => Value($"alloc_kb.{v}"))) + " | " + string.Join(" | ", services.Select(v => Value($"work_items.{v}"))) + " |");
            }

            md.AppendLine();
        }

        var endpoints = steps.SelectMany(s => s.GroupSizes.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        md.AppendLine($"Group sizes seen during each step, by endpoint, from the services' `{ServiceScrape.GroupSizeMetric}` histogram: mean (sum/count) and p99 (the upper bound of the bucket it falls in). n/a: no group committed in the step, or the services do not export the histogram.").AppendLine();
        if (endpoints.Count == 0)
        {
            md.AppendLine("| System | Contention | Loop | Load | Groups | Mean | p99 |");
            md.AppendLine("|---|---|---|--:|--:|--:|--:|");
            foreach (var s in steps) md.AppendLine(StepColumns(s) + "n/a | n/a | n/a |");
        }
        else
        {
            md.AppendLine("| System | Contention | Loop | Load | " + string.Join(" | ", endpoints.Select(e => $"{e} groups | mean | p99")) + " |");
            md.AppendLine("|---|---|---|--:|" + string.Concat(Enumerable.Repeat("--:|", endpoints.Count * 3)));
            foreach (var s in steps)
            {
                md.AppendLine(StepColumns(s) + string.Join(" | ", endpoints.Select(e => s.GroupSizes.TryGetValue(e, out var g)
                    ? string.Create(CultureInfo.InvariantCulture, $"{g.Groups} | {g.Mean:0.00} | {g.P99}")
                    : "n/a | n/a | n/a")) + " |");
            }
        }

        md.AppendLine();
        md.AppendLine("All MariaDB counters per completed transfer (global server counters).").AppendLine();
        CounterTable(md, steps, name => !name.StartsWith(CpuPrefix, StringComparison.Ordinal), name => name);
    }

    private static void SoakTables(StringBuilder md, SoakReport soak)
    {
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Soak: {soak.System}, {soak.Contention}, open loop at {soak.Rate}/s for {soak.Seconds:0} s: {soak.Submitted} submitted, {soak.Completed} completed, errors {(soak.Errors.Count == 0 ? "none" : string.Join("; ", soak.Errors.Select(e => $"{e.Key} ×{e.Value}")))}, drain {soak.DrainSeconds:0.0} s.");
        md.AppendLine().AppendLine($"**Verdict: {soak.Verdict}.**").AppendLine();
        md.AppendLine("One row per 30 s: transfers that completed in the window (p99 from when they were due), resident memory (VmRSS) of each process at its end, and `SELECT COUNT(*)` of inbox_state and outbox_message in each database of the run.").AppendLine();
        var processes = soak.Rows.SelectMany(r => r.ResidentMb.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var tables = soak.Rows.SelectMany(r => r.TableRows.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        md.AppendLine("| Window s | Completed/s | Errors | p99 ms | " + string.Join(" | ", processes.Select(p => $"RSS MB {p}")) + " | " + string.Join(" | ", tables) + " |");
        md.AppendLine("|---|--:|--:|--:|" + string.Concat(Enumerable.Repeat("--:|", processes.Count + tables.Count)));
        foreach (var r in soak.Rows)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.FromSeconds:0}-{r.ToSeconds:0} | {r.CompletedPerSecond:0.0} | {r.Errors} | {N(r.P99Ms)} | ") +
                string.Join(" | ", processes.Select(p => r.ResidentMb.TryGetValue(p, out var v) ? v.ToString("0", CultureInfo.InvariantCulture) : "")) + " | " +
                string.Join(" | ", tables.Select(t => r.TableRows.TryGetValue(t, out var v) ? v.ToString(CultureInfo.InvariantCulture) : "")) + " |");
        }

        md.AppendLine();
        md.AppendLine("After the drain: " + string.Join(", ", soak.TableRowsAfterDrain.Select(t => $"{t.Key} {t.Value}")) + ".");
        var c = soak.ServerCountersPerTransfer;
        md.AppendLine("Per completed transfer over the soak: " + string.Join(", ", c.Where(kv => kv.Key.EndsWith(".Questions", StringComparison.Ordinal) || kv.Key.EndsWith(".Com_commit", StringComparison.Ordinal) || kv.Key.StartsWith(CpuPrefix, StringComparison.Ordinal))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.0}"))) +
            (soak.BrokerPerTransfer is { Count: > 0 } b ? string.Create(CultureInfo.InvariantCulture, $", broker publishes {b.GetValueOrDefault("publish"):0.0}") : "") + ".");
        md.AppendLine();
    }

    private static void CounterTable(StringBuilder md, List<StepReport> steps, Func<string, bool> include, Func<string, string> header, Func<StepReport, string>? extra = null, string extraHeader = "")
    {
        var names = steps.SelectMany(s => s.ServerCountersPerTransfer.Keys).Where(include).Distinct().Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0) return;
        md.AppendLine("| System | Contention | Loop | Load | " + string.Join(" | ", names.Select(header)) + (extra is null ? "" : $" | {extraHeader}") + " |");
        md.AppendLine("|---|---|---|--:|" + string.Concat(names.Select(_ => "--:|")) + (extra is null ? "" : "--:|"));
        foreach (var s in steps)
            md.AppendLine(StepColumns(s) + string.Join(" | ", names.Select(n => s.ServerCountersPerTransfer.TryGetValue(n, out var v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "n/a")) + (extra is null ? "" : $" | {extra(s)}") + " |");
        md.AppendLine();
    }
}
