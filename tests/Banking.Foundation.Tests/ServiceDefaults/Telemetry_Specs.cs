using Banking.ServiceDefaults;
using Microsoft.AspNetCore.TestHost;

namespace Banking.Foundation.Tests.ServiceDefaults;

public class Telemetry_Specs
{
    [Test]
    public async Task Metrics_serves_prometheus_text_with_aspnetcore_and_banking_instruments()
    {
        var counter = BankingTelemetry.Meter.CreateCounter<long>("banking.test.probes");
        await using var app = await TestApp.StartAsync();
        var client = app.GetTestClient();
        (await client.GetAsync("/ping")).EnsureSuccessStatusCode();
        counter.Add(1);

        var (status, body) = await app.GetUntilAsync("/metrics",
            (_, text) => text.Contains("http_server_request_duration", StringComparison.Ordinal) && text.Contains("banking_test_probes", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5));

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(200));
            Assert.That(body, Does.Contain("http_server_request_duration_seconds_bucket"));
            Assert.That(body, Does.Contain("banking_test_probes"));
            Assert.That(body, Does.Contain($"service_name=\"{TestApp.ServiceName}\"").Or.Contain($"job=\"{TestApp.ServiceName}\""));
        });
    }

    [Test]
    public async Task Probe_endpoints_are_left_out_of_http_metrics()
    {
        await using var app = await TestApp.StartAsync();
        var client = app.GetTestClient();
        (await client.GetAsync("/health/live")).EnsureSuccessStatusCode();
        (await client.GetAsync("/ping")).EnsureSuccessStatusCode();

        var (_, body) = await app.GetUntilAsync("/metrics",
            (_, text) => text.Contains("http_route=\"/ping\"", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        var requestDurations = body.Split('\n').Where(line => line.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal)).ToList();
        Assert.That(requestDurations, Has.Some.Contains("http_route=\"/ping\""));
        Assert.That(requestDurations, Has.None.Contains("/health/").Or.Contains("/metrics"));
    }
}
