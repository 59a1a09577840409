using System.Net;
using System.Text;
using Banking.Testing;

namespace Banking.Security.Tests.Orchestrator;

/// <summary>
/// Issue 15, item 4: the orchestrator answered malformed JSON on the operator API, and a logout without its CSRF
/// token, with the exception and its stack trace. Every answer is in the seed's error format, in Development (where
/// ASP.NET Core would show the developer exception page) and in Production, and a ledger's 404 too.
/// </summary>
[TestFixture("Development")]
[TestFixture("Production")]
[NonParallelizable]
public sealed class Orchestrator_error_answer_specs(string environment)
{
    private LoneOrchestrator orchestrator = null!;

    [OneTimeSetUp]
    public async Task StartOrchestrator() => orchestrator = await LoneOrchestrator.StartAsync($"sec_err_{environment[..3].ToLowerInvariant()}", environment);

    [OneTimeTearDown]
    public async Task StopOrchestrator() => await orchestrator.DisposeAsync();

    [Test]
    public async Task Malformed_JSON_on_the_operator_API_is_answered_in_the_error_format_without_a_stack_trace_and_moves_nothing()
    {
        var id = await orchestrator.InFlightTransferAsync("sec-json");
        using var http = DashboardClient.Bearer(orchestrator.BaseAddress, orchestrator.Token("operator", "sec.operator"));

        foreach (var body in new[] { "{\"reason\": ", "{\"reason\": 42}", "[1,2", "not json at all" })
        {
            using var response = await http.PostAsync($"/api/v1/operator/transfers/{id}/abort", new StringContent(body, Encoding.UTF8, "application/json"));
            await ErrorFormat.AssertAsync(response, 400, "VALIDATION_ERROR", $"{environment}: malformed body {body}");
        }

        using (var response = await http.PostAsync($"/api/v1/operator/transfers/{id}/abort", new StringContent("reason=because", Encoding.UTF8, "text/plain")))
            await ErrorFormat.AssertAsync(response, 415, "VALIDATION_ERROR", $"{environment}: text/plain body");

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Multiple(async () =>
        {
            Assert.That(await orchestrator.StateAsync(id), Is.EqualTo("Debiting"));
            Assert.That(await orchestrator.OperatorActionsAsync(id), Is.Zero, "no action reached the saga");
        });
    }

    [Test]
    public async Task A_logout_without_its_CSRF_token_is_refused_in_the_error_format_and_the_session_stays_open()
    {
        using var dashboard = new DashboardClient(orchestrator.BaseAddress);
        using (var login = await dashboard.LogInAsync(orchestrator.Token("auditor", "sec.auditor")))
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "signed in");

        using (var logout = await dashboard.PostJsonAsync("/dashboard/api/logout", "{}", csrf: null))
            await ErrorFormat.AssertAsync(logout, 400, "CSRF_TOKEN_INVALID", $"{environment}: logout without token");
        using (var forged = await dashboard.PostJsonAsync("/dashboard/api/logout", "{}", csrf: "forged-token"))
            await ErrorFormat.AssertAsync(forged, 400, "CSRF_TOKEN_INVALID", $"{environment}: logout with a forged token");

        using var session = await dashboard.Http.GetAsync("/dashboard/api/session");
        Assert.That(session.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a foreign page cannot sign the operator out either");
    }

    [Test]
    public async Task Refusals_unknown_routes_and_wrong_methods_are_answered_in_the_error_format()
    {
        var id = await orchestrator.InFlightTransferAsync("sec-fmt");
        using var anonymous = DashboardClient.Bearer(orchestrator.BaseAddress, null);
        using var auditor = DashboardClient.Bearer(orchestrator.BaseAddress, orchestrator.Token("auditor", "sec.auditor"));
        using var forged = DashboardClient.Bearer(orchestrator.BaseAddress, TestTokens.Issue("operator", "mallory", signingKey: "not-the-bank-key-but-long-enough-for-hmac-256!!"));
        var reason = new StringContent("""{"reason":"x"}""", Encoding.UTF8, "application/json");

        await ErrorFormat.AssertAsync(await anonymous.PostAsync($"/api/v1/operator/transfers/{id}/retry", reason), 401, "UNAUTHORIZED", "no token");
        await ErrorFormat.AssertAsync(await forged.PostAsync($"/api/v1/operator/transfers/{id}/retry", reason), 401, "UNAUTHORIZED", "forged token");
        await ErrorFormat.AssertAsync(await auditor.PostAsync($"/api/v1/operator/transfers/{id}/retry", reason), 403, "FORBIDDEN", "auditor acting");
        await ErrorFormat.AssertAsync(await auditor.GetAsync($"/api/v1/operator/transfers/{id}/retry"), 405, "METHOD_NOT_ALLOWED", "GET on an action");
        await ErrorFormat.AssertAsync(await auditor.GetAsync("/api/v1/no-such-thing"), 404, "NOT_FOUND", "unknown route");
        await ErrorFormat.AssertAsync(await anonymous.GetAsync("/wp-admin/../../etc/passwd"), 404, "NOT_FOUND", "probe");
        await ErrorFormat.AssertAsync(await anonymous.GetAsync("/dashboard/api/overview"), 401, "UNAUTHORIZED", "dashboard API without a session");
        await ErrorFormat.AssertAsync(await anonymous.GetAsync("/dashboard/api/nothing-here"), 404, "NOT_FOUND", "unknown dashboard route");

        using var dashboard = new DashboardClient(orchestrator.BaseAddress);
        using (await dashboard.LogInAsync(orchestrator.Token("auditor", "sec.auditor"))) { }
        await ErrorFormat.AssertAsync(await dashboard.ActAsync(id, "abort", await dashboard.CsrfTokenAsync()), 403, "FORBIDDEN", "auditor acting on the dashboard");
        await ErrorFormat.AssertAsync(await dashboard.Http.GetAsync("/dashboard/api/transfers/no-such-transfer"), 404, "TRANSFER_NOT_FOUND", "unknown transfer");
        await ErrorFormat.AssertAsync(await dashboard.Http.GetAsync("/dashboard/api/transfers?limit=9999"), 400, "VALIDATION_ERROR", "bad filter");

        Assert.That(await orchestrator.OperatorActionsAsync(id), Is.Zero, "nothing reached the saga");
    }

    [Test]
    public async Task A_ledger_service_answers_an_unknown_route_in_the_error_format()
    {
        var servers = await RealServers.GetAsync();
        var name = $"sec_err_{environment[..3].ToLowerInvariant()}_db1";
        var ledger = await servers.CreateDatabaseAsync(1, name);
        // Its own virtual host: on the orchestrator's it would take the in-flight transfers the other specs rely on.
        var broker = await servers.CreateVirtualHostAsync(name);
        await using var debit = new ServiceProcess("Banking.DebitService", new Dictionary<string, string>
        {
            ["ConnectionStrings__Ledger"] = ledger,
            ["ConnectionStrings__RabbitMq"] = broker.ToString(),
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["DOTNET_ENVIRONMENT"] = environment,
        });
        await debit.StartAsync();
        using var http = DashboardClient.Bearer(debit.BaseAddress, null);

        await ErrorFormat.AssertAsync(await http.GetAsync("/api/v1/accounts"), 404, "NOT_FOUND", "ledger: unknown route");
        await ErrorFormat.AssertAsync(await http.GetAsync("/health/ready/../../metrics/secret"), 404, "NOT_FOUND", "ledger: a path beside the probes");
        using var ready = await http.GetAsync("/health/ready");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the probes still answer as before");
    }
}
