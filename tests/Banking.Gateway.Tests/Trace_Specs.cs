using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using Banking.Testing;

namespace Banking.Gateway.Tests;

/// <summary>
/// Issue 18: one trace per transfer. The gateway (in process) and the Orchestrator, DebitService and CreditService
/// processes export their spans to one in-test OTLP receiver; a transfer's spans must form one tree, rooted at the
/// gateway's POST (or at the upstream message's first receive), across the outbox's deliveries after commit and the
/// sweeper's re-sends, and the dashboard's trace id must be that tree's.
/// </summary>
[NonParallelizable]
public sealed class Trace_Specs
{
    private const string Gateway = "Banking.Gateway";
    private const string Orchestrator = "Banking.Orchestrator";
    private const string Debit = "Banking.DebitService";
    private const string Credit = "Banking.CreditService";

    private static long nextKey = 90_000;

    private TraceCollector collector = null!;
    private TransferPlatform platform = null!;
    private GatewayHost gateway = null!;
    private HttpClient channel = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        collector = await TraceCollector.StartAsync();
        // The processes export traces alone, as in Compose; the gateway everything, as with a collector in front.
        platform = await TransferPlatform.StartAsync("gw-trace", serviceSettings: collector.TraceExporterSettings);
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = platform.Broker.ToString() };
        foreach (var (key, value) in collector.ExporterSettings) settings[key] = value;
        gateway = await GatewayHost.StartAsync("gw-trace-gateway", settings, withResponder: false);
        await gateway.WaitUntilReadyAsync();
        channel = gateway.ClientAs(Roles.Channel);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        channel.Dispose();
        await gateway.DisposeAsync();
        await platform.DisposeAsync();
        await collector.DisposeAsync();
    }

    private async Task<string> NewAccountAsync(int database, decimal balance)
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"79{database}{key:D10}";
        await platform.CreateAccountAsync(database, key, accountNo, balance);
        return accountNo;
    }

    private static object Body(string reference, string from, string to, decimal amount) =>
        new { from_account = from, to_account = to, amount, currency = "CNY", description = "trace spec", reference };

    /// <summary>The trace the gateway's POST of <paramref name="transferId"/> started: its server span names the transfer.</summary>
    private async Task<string> TraceOfPostAsync(string transferId)
    {
        CollectedSpan? post = null;
        await Eventually.HoldsAsync(() =>
        {
            post = collector.Spans.FirstOrDefault(s => s.Service == Gateway && s.Attribute(BankingTelemetry.TransferIdTag) == transferId && s.Attribute("http.request.method") == "POST");
            return Task.FromResult(post is not null);
        }, "the gateway exported the POST's span", TimeSpan.FromSeconds(15),
            () => Task.FromResult(Described(collector.Spans.Where(s => s.Service == Gateway))));
        return post!.TraceId;
    }

    /// <summary>The transfer as an operator's dashboard session reads it (the page's API takes the session cookie, not a bearer token).</summary>
    private async Task<JsonElement> DashboardTransferAsync(string transferId)
    {
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = platform.Orchestrator.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        var form = await http.GetStringAsync("/dashboard/login");
        var antiforgery = Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        Assert.That(antiforgery.Success, Is.True, form);
        using var login = await http.PostAsync("/dashboard/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(antiforgery.Groups[1].Value),
            ["token"] = TestTokens.Issue("operator", "trace.operator"),
        }));
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await login.Content.ReadAsStringAsync());
        using var response = await http.GetAsync($"/dashboard/api/transfers/{transferId}");
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body;
    }

    /// <summary>Every span of the trace hangs from another of it, but one: the root.</summary>
    private static CollectedSpan AssertOneTree(IReadOnlyList<CollectedSpan> trace)
    {
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        var roots = trace.Where(s => s.ParentSpanId is null).ToList();
        var orphans = trace.Where(s => s.ParentSpanId is { } parent && !ids.Contains(parent)).ToList();
        var shown = string.Join("\n", trace);
        Assert.Multiple(() =>
        {
            Assert.That(roots, Has.Count.EqualTo(1), $"one root:\n{shown}");
            Assert.That(orphans, Is.Empty, $"every parent is in the trace:\n{shown}");
        });
        return roots[0];
    }

    /// <summary>Every span that names the transfer, whichever trace it is in: none may have started a trace of its own.</summary>
    private IEnumerable<CollectedSpan> SpansNaming(string transferId) => collector.Spans.Where(s => s.Attribute(BankingTelemetry.TransferIdTag) == transferId);

    private static string Described(IEnumerable<CollectedSpan> spans) =>
        string.Join("\n", spans.Select(s => $"{s} {string.Join(", ", s.Attributes.Select(a => $"{a.Key}={a.Value}"))}"));

    /// <summary>A span that sends, receives or consumes a message of this type (a publish is named after its exchange, a consume after its queue).</summary>
    private static Func<CollectedSpan, bool> IsAbout(string messageType) => span =>
        span.Name.Contains(messageType, StringComparison.Ordinal)
        || (span.Attribute("messaging.masstransit.message_types")?.Contains(messageType, StringComparison.Ordinal) ?? false);

    private static bool Covers(IReadOnlyList<CollectedSpan> trace, params string[] services) =>
        services.All(service => trace.Any(s => s.Service == service)) && trace.Any(IsAbout("TransferCompleted"));

    [Test]
    public async Task A_transfer_posted_at_the_gateway_is_one_trace_from_its_POST_to_its_final_event_in_every_service()
    {
        var from = await NewAccountAsync(1, 1_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = $"trc-{Guid.NewGuid():N}";

        // 202 as well: the first transfer of a cold platform may take longer than the gateway's wait.
        using var response = await channel.PostTransfer(Body(id, from, to, 10.00m));
        Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        Assert.That((await platform.WaitForFinalAsync(id)).Status, Is.EqualTo("SUCCESS"));
        var traceId = await TraceOfPostAsync(id);
        var trace = await collector.TraceAsync(traceId, t => Covers(t, Gateway, Orchestrator, Debit, Credit) && t.Any(s => s.Service == Gateway && IsAbout("TransferCompleted")(s)));

        var root = AssertOneTree(trace);
        // Taken before the dashboard is asked: its ledger queries name the transfer too, in the dashboard request's own trace.
        var strays = SpansNaming(id).Where(s => s.TraceId != traceId).ToList();
        var dashboard = await DashboardTransferAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(root.Service, Is.EqualTo(Gateway), "the POST started the trace");
            Assert.That(root.Attribute("http.request.method"), Is.EqualTo("POST"));
            Assert.That(trace.Select(s => s.Service).Distinct(), Is.SupersetOf(new[] { Gateway, Orchestrator, Debit, Credit }));
            Assert.That(trace.Where(IsAbout("TransferCompleted")).Select(s => s.Service).Distinct(),
                Is.SupersetOf(new[] { Orchestrator, Gateway }), $"the final event, published and received, is in the trace:\n{Described(trace)}");
            Assert.That(strays, Is.Empty, "no span of the transfer is in another trace");
            Assert.That(dashboard.GetProperty("trace_id").GetString(), Is.EqualTo(traceId), "the dashboard shows the transfer's trace");
        });
    }

    [Test]
    public async Task A_ledger_command_the_sweeper_sends_again_continues_the_transfers_trace()
    {
        var from = await NewAccountAsync(1, 1_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = $"trs-{Guid.NewGuid():N}";

        // CreditService away: the credit goes unanswered past its step timeout (2 s in the fixture) and the sweeper re-sends it.
        await platform.Credit.StopAsync();
        try
        {
            using var response = await channel.PostTransfer(Body(id, from, to, 10.00m));
            Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
            await Eventually.HoldsAsync(async () => (await platform.TimelineAsync(id)).Any(e => e.EventType == "StepResent"), "the credit was sent again",
                TimeSpan.FromSeconds(30));
        }
        finally
        {
            await platform.Credit.StartAsync();
        }

        Assert.That((await platform.WaitForFinalAsync(id)).Status, Is.EqualTo("SUCCESS"));
        var traceId = await TraceOfPostAsync(id);
        var trace = await collector.TraceAsync(traceId, t => Covers(t, Gateway, Orchestrator, Debit, Credit)
            && t.Any(IsAbout("TransferStepTimedOut"))
            && t.Count(s => s.Service == Credit && s.Attribute(BankingTelemetry.TransferIdTag) == id) >= 2);

        var root = AssertOneTree(trace);
        Assert.Multiple(() =>
        {
            Assert.That(root.Service, Is.EqualTo(Gateway), "the POST started the trace");
            Assert.That(trace.Where(IsAbout("TransferStepTimedOut")).Select(s => s.Service).Distinct(),
                Is.EqualTo(new[] { Orchestrator }), "the sweeper's timeout is in the trace");
            Assert.That(trace.Count(s => s.Service == Credit && s.Attribute(BankingTelemetry.TransferIdTag) == id), Is.GreaterThanOrEqualTo(2),
                "both credits, the first and the re-sent one, were consumed in the trace");
            Assert.That(SpansNaming(id).Where(s => s.TraceId != traceId), Is.Empty, "no span of the transfer is in another trace");
        });
    }

    [Test]
    public async Task The_trace_id_of_an_error_answer_is_the_trace_the_gateway_exported_for_the_request()
    {
        var from = await NewAccountAsync(1, 1_000.00m);
        using var response = await channel.PostTransfer(Body($"tre-{Guid.NewGuid():N}", from, from, 10.00m));
        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var traceId = error.GetProperty("trace_id").GetString()!;

        var trace = await collector.TraceAsync(traceId, t => t.Any(s => s.Service == Gateway && s.ParentSpanId is null), TimeSpan.FromSeconds(15));
        Assert.That(trace.Where(s => s.ParentSpanId is null).Select(s => (s.Service, Method: s.Attribute("http.request.method"), Path: s.Attribute("url.path"))),
            Is.EqualTo(new[] { (Gateway, (string?)"POST", (string?)"/api/v1/transfer") }), Described(trace));
    }

    [Test]
    public async Task A_transfer_from_the_upstream_queue_starts_its_own_trace_across_orchestrator_and_ledgers()
    {
        var from = await NewAccountAsync(1, 1_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = $"tru-{Guid.NewGuid():N}";

        await platform.SubmitAsync(id, from, to, 10.00m);
        Assert.That((await platform.WaitForFinalAsync(id)).Status, Is.EqualTo("SUCCESS"));
        var traceId = await TransferPlatform.ScalarAsync<string>(platform.Core, "SELECT trace_id FROM transfer_log WHERE transfer_id = @p", id);
        Assert.That(traceId, Does.Match("^[0-9a-f]{32}$"), "the saga keeps a trace id");
        var trace = await collector.TraceAsync(traceId, t => Covers(t, Orchestrator, Debit, Credit));

        var root = AssertOneTree(trace);
        Assert.Multiple(() =>
        {
            Assert.That(root.Service, Is.EqualTo(Orchestrator), "the upstream message's receive started the trace");
            Assert.That(trace.Select(s => s.Service).Distinct(), Is.SupersetOf(new[] { Orchestrator, Debit, Credit }));
            Assert.That(SpansNaming(id).Where(s => s.TraceId != traceId), Is.Empty, "no span of the transfer is in another trace");
        });
    }
}
