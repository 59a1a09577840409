using System.ComponentModel;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Banking.Foundation.Tests.ServiceDefaults;
using Banking.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Banking.Foundation.Tests.Operations;

/// <summary>
/// The alert rules in deploy/prometheus/alerts.yml, checked with the real promtool: the configuration loads them,
/// each one fires in its unit test and stays quiet in another, and every metric they read is one the services export,
/// so a renamed instrument breaks here instead of silencing an alert in production.
/// </summary>
public sealed partial class AlertRules_Specs
{
    private static readonly string Prometheus = Path.Combine(RealServers.RepositoryRoot, "deploy", "prometheus");
    private static readonly string Rules = Path.Combine(Prometheus, "alerts.yml");

    [Test]
    public async Task Prometheus_configuration_loads_the_alert_rules()
    {
        var (exitCode, output) = await PromtoolAsync("check", "config", Path.Combine(Prometheus, "prometheus.yml"));

        Assert.That(exitCode, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"{AlertNames().Count} rules found"), output);
    }

    [Test]
    public async Task Every_alert_passes_its_promtool_unit_tests()
    {
        var (exitCode, output) = await PromtoolAsync(["test", "rules", .. TestFiles()]);

        Assert.That(exitCode, Is.EqualTo(0), output);
    }

    [Test]
    public void Every_alert_has_a_test_where_it_fires_and_one_where_it_stays_quiet()
    {
        var tests = string.Join("\n", TestFiles().Select(File.ReadAllText));

        Assert.Multiple(() =>
        {
            foreach (var alert in AlertNames())
            {
                Assert.That(Regex.IsMatch(tests, $@"alertname: {alert}\s+exp_alerts:\s*\n\s*- exp_labels"), Is.True, $"{alert}: no case where it fires");
                Assert.That(Regex.IsMatch(tests, $@"alertname: {alert}\s+exp_alerts: \[\]"), Is.True, $"{alert}: no case where it stays quiet");
            }
        });
    }

    [Test]
    public void Every_banking_metric_the_alerts_read_is_an_instrument_the_code_creates()
    {
        var exported = ExportedBankingMetrics();
        var read = MetricsRead().Where(m => m.StartsWith("banking_", StringComparison.Ordinal)).ToList();

        Assert.That(read, Is.Not.Empty);
        Assert.That(read, Is.SubsetOf(exported), $"the code creates: {string.Join(", ", exported.Order())}");
    }

    [Test]
    public async Task Every_other_metric_the_alerts_read_is_in_a_services_metrics_or_is_prometheus_own()
    {
        await using var app = await TestApp.StartAsync();
        (await app.GetTestClient().GetAsync("/ping")).EnsureSuccessStatusCode();
        var others = MetricsRead().Where(m => !m.StartsWith("banking_", StringComparison.Ordinal) && m != "up").ToList();

        var (_, body) = await app.GetUntilAsync("/metrics",
            (_, text) => others.All(m => text.Contains($"\n{m}{{", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));

        Assert.That(others, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var metric in others)
                Assert.That(body, Does.Contain($"\n{metric}{{"), $"{metric} is not in a service's /metrics");
            // The gateway's error rate is split on this label; without it the alert would never see a 5xx.
            Assert.That(body, Does.Match("http_server_request_duration_seconds_count\\{[^}]*http_response_status_code=\"200\""));
        });
    }

    private static List<string> AlertNames() =>
        [.. AlertLine().Matches(File.ReadAllText(Rules)).Select(m => m.Groups[1].Value)];

    private static string[] TestFiles() =>
        [.. Directory.GetFiles(Path.Combine(Prometheus, "tests"), "*.yml").Order(StringComparer.Ordinal)];

    /// <summary>The series names in the rules' expressions: what is left once strings, grouping and functions are out.</summary>
    private static HashSet<string> MetricsRead()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match expression in ExpressionBlock().Matches(File.ReadAllText(Rules)))
        {
            var text = Grouping().Replace(Quoted().Replace(expression.Groups[1].Value, ""), "");
            foreach (Match name in SeriesName().Matches(text)) names.Add(name.Groups[1].Value);
        }
        return names;
    }

    /// <summary>The exporter's names for the banking instruments created in the services' and libraries' sources.</summary>
    private static HashSet<string> ExportedBankingMetrics()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var sources = new[] { "services", "shared" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RealServers.RepositoryRoot, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var source in sources)
        {
            foreach (Match instrument in Instrument().Matches(File.ReadAllText(source)))
            {
                // The exporter appends the unit to the name (seconds only, among ours), before _total or _bucket.
                var unit = instrument.Groups["rest"].Value.Contains("unit: \"s\"", StringComparison.Ordinal) ? "_seconds" : "";
                var name = instrument.Groups["name"].Value.Replace('.', '_') + unit;
                var kind = instrument.Groups["kind"].Value;
                if (kind.EndsWith("Counter", StringComparison.Ordinal) && !kind.Contains("UpDown", StringComparison.Ordinal)) names.Add(name + "_total");
                else if (kind.EndsWith("Histogram", StringComparison.Ordinal)) names.UnionWith(new[] { "_bucket", "_count", "_sum" }.Select(s => name + s));
                else names.Add(name);
            }
        }
        return names;
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Prometheus };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"promtool is not installed ({e.Message}): apt-get install prometheus, as .ci/run does. The alert rules are untested without it.");
            throw;
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output + await errors);
        }
    }

    [GeneratedRegex(@"^\s*- alert: (\w+)", RegexOptions.Multiline)]
    private static partial Regex AlertLine();

    // One-line expressions and block scalars (expr: |) alike: everything up to the next key.
    [GeneratedRegex(@"^\s*expr: \|?(.*?)(?=^\s*(?:for|labels):)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ExpressionBlock();

    [GeneratedRegex(@"""[^""]*""")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\b(?:by|without)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    // A series name stands before its matchers, its range or the end of an argument; a function before "(".
    [GeneratedRegex(@"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[|\)|>|<|==|!=|$)", RegexOptions.Multiline)]
    private static partial Regex SeriesName();

    [GeneratedRegex(@"\.Create(?<kind>\w+)(?:<\w+>)?\(\s*""(?<name>banking\.[\w.]+)""(?<rest>[^;]*)")]
    private static partial Regex Instrument();
}
