using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Banking.Testing;

namespace Banking.Dashboard.Tests;

/// <summary>
/// Issue 18, point 2: the Grafana dashboard in deploy/grafana/dashboards, query by query, against Debian's real
/// Prometheus scraping the real services with the repository's scrape configuration (only the targets' addresses
/// changed). Transfers of every outcome go through the gateway; then every panel's query must return data, so a
/// renamed metric, a label that no longer exists or a panel that was never fed fails here, not on a night shift.
/// The same data is drawn into TestResults/operations-dashboard.svg, the picture the README shows.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Operations_dashboard_specs
{
    private static readonly string Repository = RealServers.RepositoryRoot;
    private static readonly string DashboardFile = Path.Combine(Repository, "deploy", "grafana", "dashboards", "banking-operations.json");
    private static long nextKey = 90_000;

    private TransferPlatform platform = null!;
    private ServiceProcess gateway = null!;
    private PrometheusServer prometheus = null!;
    private DateTime trafficStarted;

    [OneTimeSetUp]
    public async Task StartThePlatformPrometheusAndTraffic()
    {
        var servers = await RealServers.GetAsync();
        platform = await TransferPlatform.StartAsync("dash_ops", new Dictionary<string, string> { ["Dashboard__ErrorQueuePollInterval"] = "00:00:02" });
        gateway = new ServiceProcess("Banking.Gateway", new Dictionary<string, string>
        {
            ["ConnectionStrings__RabbitMq"] = platform.Broker.ToString(),
            ["ConnectionStrings__Redis"] = servers.Redis,
            ["Gateway__RedisKeyPrefix"] = servers.RunId + ":ops:",
        });
        await gateway.StartAsync();

        prometheus = await PrometheusServer.StartAsync(new Dictionary<string, int>
        {
            ["gateway:8080"] = gateway.Port,
            ["orchestrator:8080"] = platform.Orchestrator.Port,
            ["debit-service:8080"] = platform.Debit.Port,
            ["credit-service:8080"] = platform.Credit.Port,
        });

        trafficStarted = DateTime.UtcNow;
        await SendTransfersOfEveryOutcomeAsync();
    }

    [OneTimeTearDown]
    public async Task StopAll()
    {
        if (prometheus is not null) await prometheus.DisposeAsync();
        if (gateway is not null) await gateway.DisposeAsync();
        if (platform is not null) await platform.DisposeAsync();
    }

    [Test]
    public void The_dashboard_is_provisioned_from_the_repository_and_reads_the_provisioned_datasource()
    {
        var provider = File.ReadAllText(Path.Combine(Repository, "deploy", "grafana", "provisioning", "dashboards", "banking.yml"));
        var datasource = File.ReadAllText(Path.Combine(Repository, "deploy", "grafana", "provisioning", "datasources", "prometheus.yml"));
        var compose = File.ReadAllText(Path.Combine(Repository, "docker-compose.yml"));
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardFile));

        Assert.Multiple(() =>
        {
            Assert.That(provider, Does.Contain("path: /var/lib/grafana/dashboards"));
            Assert.That(compose, Does.Contain("./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro"));
            Assert.That(datasource, Does.Contain("uid: prometheus"));
            foreach (var panel in Panels(dashboard).Where(p => p.Type != "row"))
                Assert.That(panel.DatasourceUid, Is.EqualTo("prometheus"), $"panel '{panel.Title}' reads another datasource");
        });
    }

    [Test]
    public async Task Every_panels_query_returns_data_from_the_running_platform()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var queries = Panels(dashboard).Where(p => p.Type != "row").SelectMany(p => p.Expressions.Select(e => (Panel: p.Title, Expression: e))).ToList();
        Assert.That(queries, Has.Count.GreaterThanOrEqualTo(15), "the dashboard's queries were not found");

        // Rates need two scrapes after the traffic, the queue depths a poll, the health gauges a publication.
        var empty = new List<string>();
        await Eventually.HoldsAsync(async () =>
        {
            empty.Clear();
            foreach (var (panel, expression) in queries)
                if (await prometheus.SeriesCountAsync(expression) == 0) empty.Add($"'{panel}': {expression}");
            return empty.Count == 0;
        }, "every panel's query returned data", TimeSpan.FromSeconds(90), () => Task.FromResult("panels whose query returns nothing:\n" + string.Join("\n", empty)));

        await DrawAsync(Panels(dashboard).Where(p => p.Type != "row").ToList());
    }

    [Test]
    public async Task The_outcome_panel_counts_each_transfer_once_by_its_final_status()
    {
        // Counted after the group committed, each by the service that decided it: wait until every service's last
        // scrape has it all, then nothing may have been counted twice.
        Dictionary<string, double> counted = [], applied = [];
        await Eventually.HoldsAsync(async () =>
        {
            counted = await prometheus.VectorAsync("sum by (status) (banking_transfer_finished_total)", "status");
            applied = await prometheus.VectorAsync("sum by (service, operation) (banking_ledger_operations_total{outcome=\"APPLIED\"})", "service", "operation");
            return counted.GetValueOrDefault("SUCCESS") >= Successes && counted.GetValueOrDefault("FAILED") >= Refusals
                && counted.GetValueOrDefault("ROLLBACK") >= Reversals && applied.GetValueOrDefault("credit/CREDIT") >= Successes
                && applied.GetValueOrDefault("debit/DEBIT") >= Successes + Reversals && applied.GetValueOrDefault("debit/REVERSE_DEBIT") >= Reversals;
        }, "the outcomes and ledger operations were counted", TimeSpan.FromSeconds(60),
            () => Task.FromResult(string.Join(", ", counted.Concat(applied).Select(c => $"{c.Key}={c.Value}"))));

        Assert.Multiple(() =>
        {
            Assert.That(counted.GetValueOrDefault("SUCCESS"), Is.EqualTo(Successes));
            Assert.That(counted.GetValueOrDefault("FAILED"), Is.EqualTo(Refusals));
            Assert.That(counted.GetValueOrDefault("ROLLBACK"), Is.EqualTo(Reversals));
            // Debits of the successes and the reversed ones, their reversals, and the successes' credits; the credit
            // re-sent while the CreditService was frozen is answered from its claim, not applied (or counted) again.
            Assert.That(applied.GetValueOrDefault("debit/DEBIT"), Is.EqualTo(Successes + Reversals));
            Assert.That(applied.GetValueOrDefault("debit/REVERSE_DEBIT"), Is.EqualTo(Reversals));
            Assert.That(applied.GetValueOrDefault("credit/CREDIT"), Is.EqualTo(Successes));
        });
    }

    // Rounds of traffic a second apart, long enough for rates over Prometheus' 5 s scrapes, then one frozen credit.
    private const int Rounds = 30;
    private const int Successes = Rounds * 2 + 1;
    private const int Refusals = Rounds / 3;
    private const int Reversals = Rounds / 3;

    /// <summary>
    /// Successes, debits refused for insufficient funds (FAILED) and credits refused by a closed account (ROLLBACK)
    /// over half a minute, then one transfer whose credit waits while the CreditService is frozen, so the sweeper
    /// re-sends its step.
    /// </summary>
    private async Task SendTransfersOfEveryOutcomeAsync()
    {
        var rich = await NewAccountAsync(1, 100_000.00m);
        var poor = await NewAccountAsync(1, 5.00m);
        var payee = await NewAccountAsync(2, 0.00m);
        var closed = await NewAccountAsync(2, 0.00m, status: "C");
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("channel", "ops.dashboard"));

        var sent = new List<string>();
        async Task SendAsync(string from, string to, decimal amount)
        {
            var id = $"OPS{Guid.NewGuid():N}"[..24];
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["reference"] = id, ["from_account"] = from, ["to_account"] = to, ["amount"] = amount, ["currency"] = "CNY",
            });
            using var response = await http.PostAsync("/api/v1/transfer", new StringContent(body, Encoding.UTF8, "application/json"));
            // Final within the gateway's wait (200, or 422 for a refusal), or still running (202): accepted either way.
            Assert.That((int)response.StatusCode, Is.AnyOf(200, 202, 422), await response.Content.ReadAsStringAsync());
            sent.Add(id);
        }

        // The first scrapes see the counters before the traffic moves them.
        await Task.Delay(TimeSpan.FromSeconds(6));
        for (var round = 0; round < Rounds; round++)
        {
            var next = Task.Delay(TimeSpan.FromSeconds(1));
            await SendAsync(rich, payee, 10.00m);
            await SendAsync(rich, payee, 15.00m);
            if (round % 3 == 1) await SendAsync(poor, payee, 50.00m);
            if (round % 3 == 2) await SendAsync(rich, closed, 20.00m);
            await next;
        }

        // Frozen past the step timeout (2 s in these tests): the credit is re-sent, then answered once it thaws.
        platform.Credit.Pause();
        try
        {
            await SendAsync(rich, payee, 10.00m);
            await Task.Delay(TimeSpan.FromSeconds(7));
        }
        finally
        {
            platform.Credit.Resume();
        }

        foreach (var id in sent) await platform.WaitForFinalAsync(id, TimeSpan.FromSeconds(60));
        // Two more scrapes, so the last second's counts are in every rate.
        await Task.Delay(TimeSpan.FromSeconds(10));
    }

    private async Task<string> NewAccountAsync(int database, decimal balance, string status = "A")
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"87{database}{key:D13}";
        await platform.CreateAccountAsync(database, key, accountNo, balance, status);
        return accountNo;
    }

    private sealed record Panel(string Title, string Type, string? DatasourceUid, IReadOnlyList<string> Expressions);

    private static List<Panel> Panels(JsonDocument dashboard) =>
    [
        .. dashboard.RootElement.GetProperty("panels").EnumerateArray().Select(p => new Panel(
            p.GetProperty("title").GetString()!,
            p.GetProperty("type").GetString()!,
            p.TryGetProperty("datasource", out var ds) && ds.TryGetProperty("uid", out var uid) ? uid.GetString() : null,
            p.TryGetProperty("targets", out var targets) ? [.. targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!)] : [])),
    ];

    /// <summary>Each panel as a small line chart of its queries over the run, from Prometheus' range API.</summary>
    private async Task DrawAsync(IReadOnlyList<Panel> panels)
    {
        const int width = 360, height = 150, columns = 3, pad = 28;
        var start = trafficStarted;
        var end = DateTime.UtcNow;
        var svg = new StringBuilder();
        var rows = (panels.Count + columns - 1) / columns;
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{columns * width}\" height=\"{rows * height + 30}\" font-family=\"sans-serif\" font-size=\"10\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"100%\" height=\"100%\" fill=\"#111217\"/><text x=\"8\" y=\"18\" fill=\"#ccc\" font-size=\"13\">Banking operations: every panel's query over a test run ({start:yyyy-MM-dd HH:mm:ss}–{end:HH:mm:ss} UTC), from Prometheus</text>");
        string[] colours = ["#73bf69", "#f2cc0c", "#5794f2", "#ff9830", "#f2495c", "#b877d9", "#8ab8ff", "#96d98d"];
        for (var i = 0; i < panels.Count; i++)
        {
            var (x, y) = (i % columns * width, 30 + i / columns * height);
            svg.Append(CultureInfo.InvariantCulture, $"<g transform=\"translate({x},{y})\"><rect x=\"4\" y=\"4\" width=\"{width - 8}\" height=\"{height - 8}\" fill=\"#181b1f\" stroke=\"#333\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"18\" fill=\"#ddd\" font-size=\"11\">{Escape(panels[i].Title)}</text>");
            var series = new List<(string Name, List<(double T, double V)> Points)>();
            foreach (var expression in panels[i].Expressions) series.AddRange(await prometheus.RangeAsync(expression, start, end, TimeSpan.FromSeconds(5)));
            var values = series.SelectMany(s => s.Points.Select(p => p.V)).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
            var (low, high) = (Math.Min(0, values.Min()), Math.Max(values.Max(), 1e-9));
            var (t0, t1) = (new DateTimeOffset(start).ToUnixTimeSeconds(), new DateTimeOffset(end).ToUnixTimeSeconds());
            const int top = 26, bottom = height - 34;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - 10}\" y=\"18\" fill=\"#888\" text-anchor=\"end\">max {high:0.###}</text>");
            for (var s = 0; s < series.Count && s < colours.Length; s++)
            {
                var points = series[s].Points.Where(p => double.IsFinite(p.V)).Select(p => string.Create(CultureInfo.InvariantCulture,
                    $"{pad + (p.T - t0) / Math.Max(1, t1 - t0) * (width - 2 * pad):0.#},{bottom - (p.V - low) / (high - low) * (bottom - top):0.#}"));
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colours[s]}\" stroke-width=\"1.5\" points=\"{string.Join(' ', points)}\"/>");
                // Two legend lines of two names each; a panel with more series shows its first four by name.
                if (s < 4) svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{10 + s % 2 * 175}\" y=\"{height - 22 + s / 2 * 12}\" fill=\"{colours[s]}\">{Escape(Truncate(series[s].Name, 32))}</text>");
            }

            svg.Append("</g>");
        }

        svg.Append("</svg>");
        var output = Path.Combine(Repository, "TestResults", "operations-dashboard.svg");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, svg.ToString());
        TestContext.AddTestAttachment(output, "every panel's query over this run");
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text) ?? "";
}
