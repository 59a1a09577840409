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
    List<StepReport> Steps, List<Headline> Headlines, Dictionary<string, double> Ratios, List<StageTiming> SagaStages, List<string> Notes);

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
        var counters = run.Steps.Where(s => s.Loop == "closed" && s.Contention == "uniform").ToList();
        if (counters.Count > 0)
        {
            md.AppendLine("MariaDB counters per completed transfer during closed-loop uniform steps (global server counters: anything else using the servers is included).").AppendLine();
            CounterTable(md, counters, name => !name.StartsWith(CpuPrefix, StringComparison.Ordinal), name => name);
            md.AppendLine("CPU milliseconds per completed transfer, by process, during the same steps (user + system time from /proc; server figures include anything else using the servers).").AppendLine();
            CounterTable(md, counters, name => name.StartsWith(CpuPrefix, StringComparison.Ordinal), name => name[CpuPrefix.Length..]);
        }

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

    private static void CounterTable(StringBuilder md, List<StepReport> steps, Func<string, bool> include, Func<string, string> header)
    {
        var names = steps.SelectMany(s => s.ServerCountersPerTransfer.Keys).Where(include).Distinct().Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0) return;
        md.AppendLine("| System | Clients | " + string.Join(" | ", names.Select(header)) + " |");
        md.AppendLine("|---|--:|" + string.Concat(names.Select(_ => "--:|")));
        foreach (var s in steps)
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {s.System} | {s.Load} | ") + string.Join(" | ", names.Select(n => s.ServerCountersPerTransfer.TryGetValue(n, out var v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "")) + " |");
        md.AppendLine();
    }
}
