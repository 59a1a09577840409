using System.Text.Json;
using System.Text.RegularExpressions;
using Banking.Testing;

namespace Banking.Security.Tests.Orchestrator;

/// <summary>
/// Issue 15, item 15: an upstream message the orchestrator refuses goes to <c>transfer-requests_error</c>, which
/// nothing consumes and nothing reported. Its depth is in /metrics and on the dashboard's overview.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Error_queue_alarm_specs
{
    private LoneOrchestrator orchestrator = null!;

    [OneTimeSetUp]
    public async Task StartOrchestrator() => orchestrator = await LoneOrchestrator.StartAsync("sec_errq", "Development",
        new Dictionary<string, string> { ["Dashboard__ErrorQueuePollInterval"] = "00:00:01" });

    [OneTimeTearDown]
    public async Task StopOrchestrator() => await orchestrator.DisposeAsync();

    [Test]
    public async Task Refused_upstream_requests_in_the_error_queue_show_in_metrics_and_on_the_dashboard_and_move_nothing()
    {
        var unsigned = $"sec-errq-{Guid.NewGuid():N}"[..30];
        // No message id: a redelivery could not be told from a new request, so it is refused unprocessed.
        await orchestrator.PublishAsync(TransferPlatform.TransferRequestsQueue,
            $$"""{"transfer_id":"{{unsigned}}","from_account":"6222000000000001","to_account":"6222000000000002","amount":5.00,"currency":"CNY"}""", messageId: null);
        await orchestrator.PublishAsync(TransferPlatform.TransferRequestsQueue,
            """{"transfer_id":"no spaces allowed; DROP TABLE","from_account":"6222000000000001","to_account":"6222000000000002","amount":5.00,"currency":"CNY"}""", Guid.NewGuid());

        using var http = DashboardClient.Bearer(orchestrator.BaseAddress, null);
        var gauge = new Regex("""^banking_error_queue_messages\{[^}]*queue="transfer-requests_error"[^}]*\} (\d+)""", RegexOptions.Multiline);
        string metrics = "";
        await Eventually.HoldsAsync(async () =>
        {
            metrics = await http.GetStringAsync("/metrics");
            return gauge.Match(metrics) is { Success: true } m && m.Groups[1].Value == "2";
        }, "transfer-requests_error at 2 in /metrics", describe: () => Task.FromResult(string.Join("\n", metrics.Split('\n').Where(l => l.Contains("error_queue")))));
        Assert.That(Regex.IsMatch(metrics, """^banking_error_queue_messages\{[^}]*queue="debit-ledger_error"[^}]*\} 0""", RegexOptions.Multiline), Is.True,
            "an error queue that was never created reads 0, and is still reported");

        using var dashboard = new DashboardClient(orchestrator.BaseAddress);
        using (await dashboard.LogInAsync(orchestrator.Token("auditor", "sec.errq"))) { }
        using var overview = JsonDocument.Parse(await dashboard.Http.GetStringAsync("/dashboard/api/overview"));
        var queues = overview.RootElement.GetProperty("error_queues").EnumerateArray()
            .ToDictionary(q => q.GetProperty("queue").GetString()!, q => q.GetProperty("messages").GetInt64());
        Assert.Multiple(async () =>
        {
            Assert.That(queues["transfer-requests_error"], Is.EqualTo(2));
            Assert.That(queues.Keys, Is.SupersetOf(new[] { "debit-ledger_error", "credit-ledger_error", "transfer-state_error", "transfer-status_error" }));
            Assert.That(queues.Where(q => q.Key != "transfer-requests_error").Select(q => q.Value), Is.All.Zero);
            Assert.That(await orchestrator.CountAsync("SELECT COUNT(*) FROM transfer_log WHERE transfer_id = @id", unsigned), Is.Zero, "the refused request moved nothing");
        });
    }
}
