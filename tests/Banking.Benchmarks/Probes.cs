using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Banking.Testing;
using MySqlConnector;

namespace Banking.Benchmarks;

/// <summary>A Prometheus histogram as scraped: cumulative bucket counts by upper bound, with its sum and count.</summary>
public sealed class ScrapedHistogram
{
    public SortedDictionary<double, double> Buckets { get; } = [];
    public double Sum { get; set; }
    public double Count { get; set; }

    /// <summary>What was added between two scrapes; a histogram that did not exist before counts from zero.</summary>
    public ScrapedHistogram Minus(ScrapedHistogram? before)
    {
        var delta = new ScrapedHistogram { Sum = Sum - (before?.Sum ?? 0), Count = Count - (before?.Count ?? 0) };
        foreach (var (le, count) in Buckets) delta.Buckets[le] = count - (before?.Buckets.GetValueOrDefault(le) ?? 0);
        return delta;
    }

    public void Add(ScrapedHistogram other)
    {
        Sum += other.Sum;
        Count += other.Count;
        foreach (var (le, count) in other.Buckets) Buckets[le] = Buckets.GetValueOrDefault(le) + count;
    }
}

/// <summary>
/// Group sizes of one endpoint during a step: the mean from sum/count, and p99 as the upper bound of the bucket it
/// falls in (the histogram keeps no more than that; "&gt;256" when it is above the last bound).
/// </summary>
public sealed record GroupSizeSummary(long Groups, double Mean, string P99)
{
    public static GroupSizeSummary? Of(ScrapedHistogram delta)
    {
        if (delta.Count <= 0) return null;
        var target = 0.99 * delta.Count;
        var lastFinite = 0.0;
        var p99 = (string?)null;
        foreach (var (le, cumulative) in delta.Buckets)
        {
            if (double.IsPositiveInfinity(le)) break;
            lastFinite = le;
            if (cumulative >= target)
            {
                p99 = le.ToString("0.##", CultureInfo.InvariantCulture);
                break;
            }
        }

        return new GroupSizeSummary((long)delta.Count, Math.Round(delta.Sum / delta.Count, 2), p99 ?? ">" + lastFinite.ToString("0.##", CultureInfo.InvariantCulture));
    }
}

/// <summary>What a step needs from one .NET service's <c>/metrics</c>; null where the service does not export it.</summary>
public sealed partial record ServiceScrape(double? AllocatedBytes, double? WorkItems, Dictionary<string, ScrapedHistogram> GroupSizes)
{
    /// <summary>The group-commit histogram the messaging library exports, by its <c>endpoint</c> label.</summary>
    public const string GroupSizeMetric = "banking_group_commit_size";

    // .NET 9+ runtimes publish System.Runtime themselves (what OpenTelemetry.Instrumentation.Runtime subscribes to
    // there); the process_runtime_* names are the instrumentation's own, on older runtimes.
    private static readonly string[] AllocatedNames =
        ["dotnet_gc_heap_total_allocated_bytes_total", "dotnet_gc_heap_total_allocated_bytes", "process_runtime_dotnet_gc_allocations_size_bytes_total", "process_runtime_dotnet_gc_allocations_size_bytes"];

    private static readonly string[] WorkItemNames =
        ["dotnet_thread_pool_work_item_count_total", "dotnet_thread_pool_work_item_count", "process_runtime_dotnet_thread_pool_completed_items_count_total", "process_runtime_dotnet_thread_pool_completed_items_count"];

    public static ServiceScrape Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var groups = new Dictionary<string, ScrapedHistogram>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (PrometheusLine().Match(line) is not { Success: true } match) continue;
            var name = match.Groups["name"].Value;
            if (!TryParseValue(match.Groups["value"].Value, out var value)) continue;
            var labels = Labels(match.Groups["labels"].Value);
            if (name.StartsWith(GroupSizeMetric, StringComparison.Ordinal))
            {
                var endpoint = labels.GetValueOrDefault("endpoint") ?? "(no endpoint label)";
                if (!groups.TryGetValue(endpoint, out var histogram)) groups[endpoint] = histogram = new ScrapedHistogram();
                if (name.EndsWith("_bucket", StringComparison.Ordinal) && labels.TryGetValue("le", out var le) && TryParseValue(le, out var bound))
                    histogram.Buckets[bound] = histogram.Buckets.GetValueOrDefault(bound) + value;
                else if (name.EndsWith("_sum", StringComparison.Ordinal)) histogram.Sum += value;
                else if (name.EndsWith("_count", StringComparison.Ordinal)) histogram.Count += value;
                continue;
            }

            // A counter may come in several label sets (e.g. by GC generation): the process total is their sum.
            samples[name] = samples.GetValueOrDefault(name) + value;
        }

        double? First(string[] names) => names.Where(samples.ContainsKey).Select(n => (double?)samples[n]).FirstOrDefault();
        return new ServiceScrape(First(AllocatedNames), First(WorkItemNames), groups);
    }

    private static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf": value = double.PositiveInfinity; return true;
            case "-Inf": value = double.NegativeInfinity; return true;
            default: return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && !double.IsNaN(value);
        }
    }

    private static Dictionary<string, string> Labels(string text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match label in PrometheusLabel().Matches(text))
            labels[label.Groups["key"].Value] = Regex.Unescape(label.Groups["value"].Value);
        return labels;
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+-?\d+)?$""")]
    private static partial Regex PrometheusLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex PrometheusLabel();
}

/// <summary>
/// The readings a step turns into per-transfer figures, besides its own latencies: MariaDB's global counters and the
/// CPU time of each process, the .NET services' own metrics, the broker's message statistics of the run's virtual
/// host, and for the soak the memory of each process and the inbox and outbox tables.
/// </summary>
public sealed class Probes(RealServers servers, TransferPlatform platform, IReadOnlyDictionary<string, ServiceProcess> services, int brokerNodes = 1) : IDisposable
{
    private readonly HttpClient scraper = new() { Timeout = TimeSpan.FromSeconds(5) };

    public IReadOnlyDictionary<string, ServiceProcess> Services => services;

    public IReadOnlyDictionary<string, string> Databases { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["core"] = platform.Core,
        ["db1"] = platform.Db1,
        ["db2"] = platform.Db2,
    };

    /// <summary>MariaDB counters by server port and CPU milliseconds by process, so far.</summary>
    public async Task<Dictionary<string, long>> CountersAsync()
    {
        var counters = await ServerCounters.ReadAsync(servers.MySql1, servers.MySql2);
        foreach (var (name, value) in ServerCounters.ReadCpu(ProcessIds())) counters[name] = value;
        return counters;
    }

    /// <summary>Each .NET service's /metrics; a service that does not answer is left out (its columns show n/a).</summary>
    public async Task<Dictionary<string, ServiceScrape>> ScrapeAsync()
    {
        var scrapes = await Task.WhenAll(services.Select(async s =>
        {
            try
            {
                return (s.Key, Scrape: ServiceScrape.Parse(await scraper.GetStringAsync(new Uri(s.Value.BaseAddress, "/metrics"))));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return (s.Key, Scrape: (ServiceScrape?)null);
            }
        }));
        return scrapes.Where(s => s.Scrape is not null).ToDictionary(s => s.Key, s => s.Scrape!, StringComparer.Ordinal);
    }

    /// <summary>The virtual host's cumulative message statistics (publish, confirm, ack, ...), as the management API has them now.</summary>
    public async Task<Dictionary<string, long>> BrokerAsync()
    {
        using var http = platform.Servers.ManagementClient();
        var vhost = Uri.EscapeDataString(Uri.UnescapeDataString(platform.Broker.AbsolutePath.TrimStart('/')));
        using var document = JsonDocument.Parse(await http.GetStringAsync($"api/vhosts/{vhost}?columns=name,message_stats"));
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        if (document.RootElement.TryGetProperty("message_stats", out var stats) && stats.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in stats.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt64(out var value)) values[property.Name] = value;
            }
        }

        return values;
    }

    /// <summary>
    /// The broker's statistics once they have caught up: the management plugin refreshes them only every few seconds
    /// (collect_statistics_interval, 5 s by default), so a reading taken right after the traffic misses its last
    /// seconds. Call it when nothing is being published; it waits until the figures have stood still for longer
    /// than that interval.
    /// </summary>
    public async Task<Dictionary<string, long>> BrokerSettledAsync()
    {
        var stillFor = TimeSpan.FromSeconds(6);
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        var last = await BrokerAsync();
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow - since < stillFor && DateTime.UtcNow < giveUp)
        {
            await Task.Delay(1000);
            var now = await BrokerAsync();
            if (now.Count != last.Count || now.Any(kv => last.GetValueOrDefault(kv.Key) != kv.Value)) since = DateTime.UtcNow;
            last = now;
        }

        return last;
    }

    /// <summary>Transfers the saga has taken in so far: its transfer_log rows (the denominator of the broker's figures).</summary>
    public Task<long> TransfersTakenInAsync() => TransferPlatform.ScalarAsync<long>(platform.Core, "SELECT COUNT(*) FROM transfer_log", "");

    /// <summary>Resident memory (VmRSS) of each process in MB, from <c>/proc/PID/status</c>.</summary>
    public Dictionary<string, double> ResidentMegabytes()
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, id) in ProcessIds())
        {
            try
            {
                var line = File.ReadLines($"/proc/{id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is null) continue;
                var kilobytes = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                values[name] = Math.Round(kilobytes / 1024.0, 1);
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // The process ended between the listing and the read.
            }
        }

        return values;
    }

    /// <summary><c>SELECT COUNT(*)</c> of inbox_state and outbox_message in each of the run's databases.</summary>
    public async Task<Dictionary<string, long>> InboxOutboxRowsAsync()
    {
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, database) in Databases)
        {
            foreach (var table in new[] { "inbox_state", "outbox_message" })
                rows[$"{table}.{name}"] = await TransferPlatform.ScalarAsync<long>(database, $"SELECT COUNT(*) FROM {table}", "");
        }

        return rows;
    }

    /// <summary>The .NET services and this process by pid, and the servers found by their command lines.</summary>
    private Dictionary<string, int> ProcessIds()
    {
        // A replica listens on its server's port + 10 (servers.sh --mysql-replicas); cluster node i on the broker's port + i - 1.
        int[] mariaDbPorts = [(int)new MySqlConnectionStringBuilder(servers.MySql1).Port, (int)new MySqlConnectionStringBuilder(servers.MySql2).Port];
        var ids = ServerCounters.FindServers([.. mariaDbPorts, .. mariaDbPorts.Select(p => p + 10)],
            [.. Enumerable.Range(0, brokerNodes).Select(i => platform.Broker.Port + i)]);
        foreach (var (name, service) in services)
        {
            if (service.ProcessId is { } id) ids[name] = id;
        }

        ids["benchmark"] = Environment.ProcessId;
        return ids;
    }

    public void Dispose() => scraper.Dispose();
}
