using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Banking.Testing;

namespace Banking.Dashboard.Tests;

/// <summary>
/// Debian's Prometheus on a free port with the repository's deploy/prometheus/prometheus.yml and alerts.yml: the
/// scrape configuration as written, only each target's Compose address replaced by where the test runs the service.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string folder;
    private readonly HttpClient http;

    private PrometheusServer(Process process, string folder, int port)
    {
        this.process = process;
        this.folder = folder;
        http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <param name="targets">Compose address (as in prometheus.yml) to the local port now serving it.</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, int> targets)
    {
        var source = Path.Combine(RealServers.RepositoryRoot, "deploy", "prometheus");
        var folder = Path.Combine(RealServers.RepositoryRoot, "TestResults", $"prometheus-{DateTime.UtcNow:HHmmssfff}");
        Directory.CreateDirectory(folder);
        var configuration = await File.ReadAllTextAsync(Path.Combine(source, "prometheus.yml"));
        foreach (var (address, local) in targets)
        {
            if (!configuration.Contains($"'{address}'", StringComparison.Ordinal)) Assert.Fail($"prometheus.yml no longer scrapes {address}");
            configuration = configuration.Replace($"'{address}'", $"'127.0.0.1:{local}'", StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), configuration);
        File.Copy(Path.Combine(source, "alerts.yml"), Path.Combine(folder, "alerts.yml"));

        var port = ServiceProcess.FreePort();
        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var argument in new[]
                 {
                     $"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                 })
            start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"prometheus is not installed ({e.Message}): apt-get install prometheus, as .ci/run does.");
            throw;
        }

        var log = File.CreateText(Path.Combine(folder, "prometheus.log"));
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new PrometheusServer(process, folder, port);
        await Eventually.HoldsAsync(async () =>
        {
            if (process.HasExited) Assert.Fail($"prometheus exited with {process.ExitCode}; see {folder}/prometheus.log");
            try { return (await server.http.GetAsync("/-/ready")).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        }, "prometheus answered /-/ready", TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>How many series an instant query returns (NaN samples, as an empty histogram gives, do not count).</summary>
    public async Task<int> SeriesCountAsync(string expression) =>
        (await QueryAsync("/api/v1/query", expression, [])).Count(r => double.IsFinite(Value(r.GetProperty("value"))));

    /// <summary>An instant vector, keyed by the values of <paramref name="labels"/> joined with '/'.</summary>
    public async Task<Dictionary<string, double>> VectorAsync(string expression, params string[] labels) =>
        (await QueryAsync("/api/v1/query", expression, [])).ToDictionary(
            r => string.Join('/', labels.Select(l => r.GetProperty("metric").TryGetProperty(l, out var v) ? v.GetString() : "")),
            r => Value(r.GetProperty("value")));

    public async Task<List<(string Name, List<(double T, double V)> Points)>> RangeAsync(string expression, DateTime start, DateTime end, TimeSpan step)
    {
        var result = await QueryAsync("/api/v1/query_range", expression,
        [
            ("start", Unix(start)), ("end", Unix(end)), ("step", step.TotalSeconds.ToString(CultureInfo.InvariantCulture)),
        ]);
        return
        [
            .. result.Select(r => (
                Name: string.Join(' ', r.GetProperty("metric").EnumerateObject().Where(l => l.Name is not ("__name__" or "job" or "instance")).Select(l => l.Value.GetString())),
                Points: r.GetProperty("values").EnumerateArray().Select(v => (v[0].GetDouble(), Value(v))).ToList())),
        ];
    }

    private async Task<List<JsonElement>> QueryAsync(string path, string expression, (string, string)[] parameters)
    {
        var form = new List<KeyValuePair<string, string>> { new("query", expression) };
        form.AddRange(parameters.Select(p => KeyValuePair.Create(p.Item1, p.Item2)));
        using var response = await http.PostAsync(path, new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, $"{expression}: {body}");
        using var document = JsonDocument.Parse(body);
        return [.. document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone())];
    }

    private static double Value(JsonElement sample) => double.Parse(sample[1].GetString()!, CultureInfo.InvariantCulture);

    private static string Unix(DateTime time) => new DateTimeOffset(time).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
        try { Directory.Delete(Path.Combine(folder, "data"), recursive: true); }
        catch (IOException) { }
    }
}
