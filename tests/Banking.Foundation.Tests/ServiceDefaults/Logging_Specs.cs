using System.Diagnostics;
using System.Text.Json;
using Banking.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Context;

namespace Banking.Foundation.Tests.ServiceDefaults;

public class Logging_Specs
{
    private const string AccountNo = "6230399991006371427";
    private const string MaskedAccountNo = "6230***********1427";
    private const string Token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ";

    private static readonly object[] AccountDetails = [new { AccountNo, ApiKey = "key-4711-abc", Currency = "CNY" }];

    [Test]
    public async Task An_account_number_or_a_secret_never_reaches_the_log_whichever_way_it_is_logged()
    {
        var log = new CapturedLog();
        await using var app = await TestApp.StartAsync(log: log);
        var logger = app.Services.GetRequiredService<ILogger<Logging_Specs>>();

        string traceId, spanId;
        using (var activity = BankingTelemetry.ActivitySource.StartActivity("debit"))
        {
            Assert.That(activity, Is.Not.Null, "AddServiceDefaults must listen to the Banking ActivitySource");
            (traceId, spanId) = (activity!.TraceId.ToHexString(), activity.SpanId.ToHexString());
            logger.LogInformation("Debiting {AccountNo} by {Amount}", AccountNo, 100.00m);
            using (logger.BeginScope(new Dictionary<string, object> { ["SourceAccount"] = AccountNo }))
            {
                logger.LogInformation("Scoped line");
            }

            logger.LogInformation("Looked up {@Account}", AccountDetails[0]);
            logger.LogInformation("Caller presented {Token}", Token);
            logger.LogWarning("Upstream answered {Response}", $"401 to Authorization: Bearer {Token}");
            logger.LogError(new InvalidOperationException($"Account {AccountNo} is restricted"), "Debit failed");
        }

        await StopAsync(app);
        {
            var output = log.ToString();
            Assert.Multiple(() =>
            {
                Assert.That(output, Does.Not.Contain(AccountNo));
                Assert.That(output, Does.Not.Contain(Token));
                Assert.That(output, Does.Not.Contain("key-4711-abc"));
                Assert.That(output, Does.Contain(MaskedAccountNo));
                Assert.That(output, Does.Contain("Bearer ***"));
            });

            var lines = ParseLines(log);
            var debiting = lines.Single(l => l.GetProperty("@m").GetString()!.StartsWith("Debiting", StringComparison.Ordinal));
            var scoped = lines.Single(l => l.GetProperty("@m").GetString() == "Scoped line");
            var failed = lines.Single(l => l.GetProperty("@m").GetString() == "Debit failed");
            var token = lines.Single(l => l.GetProperty("@m").GetString()!.StartsWith("Caller presented", StringComparison.Ordinal));
            Assert.Multiple(() =>
            {
                Assert.That(debiting.GetProperty("@m").GetString(), Is.EqualTo($"Debiting \"{MaskedAccountNo}\" by 100.00"));
                Assert.That(debiting.GetProperty("AccountNo").GetString(), Is.EqualTo(MaskedAccountNo));
                Assert.That(debiting.GetProperty("service").GetString(), Is.EqualTo(TestApp.ServiceName));
                Assert.That(debiting.GetProperty("trace_id").GetString(), Is.EqualTo(traceId));
                Assert.That(debiting.GetProperty("span_id").GetString(), Is.EqualTo(spanId));
                Assert.That(scoped.GetProperty("SourceAccount").GetString(), Is.EqualTo(MaskedAccountNo));
                Assert.That(failed.GetProperty("@x").GetString(), Does.Contain($"Account {MaskedAccountNo} is restricted"));
                Assert.That(token.GetProperty("@m").GetString(), Is.EqualTo("Caller presented \"***\""));
                Assert.That(token.GetProperty("Token").GetString(), Is.EqualTo("***"));
            });
        }
    }

    [Test]
    public async Task The_transfer_id_comes_from_baggage_a_span_tag_or_the_log_context()
    {
        var log = new CapturedLog();
        await using var app = await TestApp.StartAsync(log: log);
        var logger = app.Services.GetRequiredService<ILogger<Logging_Specs>>();

        using (var fromUpstream = BankingTelemetry.ActivitySource.StartActivity("consume"))
        {
            fromUpstream!.AddBaggage(BankingTelemetry.TransferIdTag, "T-BAGGAGE");
            using var child = BankingTelemetry.ActivitySource.StartActivity("debit");
            logger.LogInformation("from baggage");
        }

        using (var tagged = BankingTelemetry.ActivitySource.StartActivity("saga"))
        {
            tagged!.SetTag(BankingTelemetry.TransferIdTag, "T-TAG");
            logger.LogInformation("from tag");
        }

        using (LogContext.PushProperty(BankingTelemetry.TransferIdLogProperty, "T-LOGCONTEXT"))
        {
            logger.LogInformation("from log context");
        }

        using (logger.BeginScope(new Dictionary<string, object> { [BankingTelemetry.TransferIdLogProperty] = "T-SCOPE" }))
        {
            logger.LogInformation("from logger scope");
        }

        logger.LogInformation("no transfer");

        await StopAsync(app);
        var byMessage = ParseLines(log).ToDictionary(l => l.GetProperty("@m").GetString()!);
        Assert.Multiple(() =>
        {
            Assert.That(TransferId(byMessage["from baggage"]), Is.EqualTo("T-BAGGAGE"));
            Assert.That(TransferId(byMessage["from tag"]), Is.EqualTo("T-TAG"));
            Assert.That(TransferId(byMessage["from log context"]), Is.EqualTo("T-LOGCONTEXT"));
            Assert.That(TransferId(byMessage["from logger scope"]), Is.EqualTo("T-SCOPE"));
            Assert.That(TransferId(byMessage["no transfer"]), Is.Null);
        });
    }

    [Test]
    public async Task Minimum_levels_default_to_information_with_framework_noise_at_warning_and_follow_configuration()
    {
        var log = new CapturedLog();
        await using var app = await TestApp.StartAsync(
            new Dictionary<string, string?> { ["Serilog:MinimumLevel:Override:Banking.Noisy"] = "Error" },
            log: log);
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        loggers.CreateLogger("Banking.Quiet").LogDebug("debug line");
        loggers.CreateLogger("Banking.Quiet").LogInformation("information line");
        loggers.CreateLogger("Microsoft.AspNetCore.Routing").LogInformation("aspnetcore information line");
        loggers.CreateLogger("Banking.Noisy").LogWarning("noisy warning line");

        await StopAsync(app);
        var messages = ParseLines(log).Select(l => l.GetProperty("@m").GetString()).ToList();
        Assert.That(messages, Does.Contain("information line"));
        Assert.That(messages, Has.None.EqualTo("debug line").Or.EqualTo("aspnetcore information line").Or.EqualTo("noisy warning line"));
    }

    [Test]
    public void A_minimum_level_that_is_not_a_level_stops_the_service_at_start()
    {
        var failure = Assert.CatchAsync(async () =>
        {
            await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Chatty" });
        });
        Assert.That(failure!.ToString(), Does.Contain("Chatty"));
    }

    /// <summary>Lines reach the writer from a background buffer; stopping the service empties it.</summary>
    private static async Task StopAsync(WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static List<JsonElement> ParseLines(CapturedLog log) =>
        log.Lines.Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    private static string? TransferId(JsonElement line) =>
        line.TryGetProperty("transfer_id", out var value) ? value.GetString() : null;
}
