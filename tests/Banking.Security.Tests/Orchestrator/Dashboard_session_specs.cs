using System.Net;
using System.Text;
using System.Text.Json;

namespace Banking.Security.Tests.Orchestrator;

/// <summary>
/// Issue 15, item 7: a dashboard session opened with a token that expired 3 s later still aborted a transfer 45 s
/// later (8 h sliding cookie); the page could be framed; and an admin token acted although only operators should.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Dashboard_session_specs
{
    private LoneOrchestrator orchestrator = null!;

    [OneTimeSetUp]
    public async Task StartOrchestrator() => orchestrator = await LoneOrchestrator.StartAsync("sec_dash", "Production");

    [OneTimeTearDown]
    public async Task StopOrchestrator() => await orchestrator.DisposeAsync();

    [Test]
    public async Task A_session_opened_with_a_token_ends_when_the_token_expires_and_can_no_longer_act()
    {
        var id = await orchestrator.InFlightTransferAsync("sec-expiry");
        using var dashboard = new DashboardClient(orchestrator.BaseAddress);
        var lifetime = TimeSpan.FromSeconds(4);
        using (var login = await dashboard.LogInAsync(orchestrator.Token("operator", "sec.short", lifetime)))
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "signed in while the token is valid");
        var signedInAt = DateTime.UtcNow;
        var csrf = await dashboard.CsrfTokenAsync();

        // Keep the session busy, as an operator leaving the page open does: the sliding cookie renews on use.
        while (DateTime.UtcNow < signedInAt + lifetime + TimeSpan.FromSeconds(2))
        {
            using var overview = await dashboard.Http.GetAsync("/dashboard/api/overview");
            if (overview.StatusCode != HttpStatusCode.OK) break;
            await Task.Delay(500);
        }

        using (var session = await dashboard.Http.GetAsync("/dashboard/api/session"))
            await ErrorFormat.AssertAsync(session, 401, "UNAUTHORIZED", "the session after its token expired");
        using (var abort = await dashboard.ActAsync(id, "abort", csrf, "acting on an expired token"))
            await ErrorFormat.AssertAsync(abort, 401, "UNAUTHORIZED", "an abort after the token expired");
        using (var retry = await dashboard.ActAsync(id, "retry", csrf, "acting on an expired token"))
            await ErrorFormat.AssertAsync(retry, 401, "UNAUTHORIZED", "a retry after the token expired");

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Multiple(async () =>
        {
            Assert.That(await orchestrator.StateAsync(id), Is.EqualTo("Debiting"), "the transfer was not touched");
            Assert.That(await orchestrator.OperatorActionsAsync(id), Is.Zero, "no action reached the saga");
        });
    }

    [Test]
    public async Task A_session_with_a_valid_token_acts_and_the_action_is_recorded()
    {
        // The counterpart of the expiry spec: the same client, in time, does act (so the refusal above is the expiry's).
        var id = await orchestrator.InFlightTransferAsync("sec-valid");
        using var dashboard = new DashboardClient(orchestrator.BaseAddress);
        using (await dashboard.LogInAsync(orchestrator.Token("operator", "sec.valid", TimeSpan.FromMinutes(5)))) { }
        using var retry = await dashboard.ActAsync(id, "retry", await dashboard.CsrfTokenAsync(), "valid session retries");
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await retry.Content.ReadAsStringAsync());
        await Banking.Testing.Eventually.HoldsAsync(async () => await orchestrator.OperatorActionsAsync(id) == 1, "the retry in the timeline");
    }

    [Test]
    public async Task The_dashboard_cannot_be_framed_or_sniffed_and_loads_only_its_own_script()
    {
        using var dashboard = new DashboardClient(orchestrator.BaseAddress);
        var answers = new List<(string What, HttpResponseMessage Response)> { ("login form", await dashboard.Http.GetAsync("/dashboard/login")) };
        answers.Add(("login", await dashboard.LogInAsync(orchestrator.Token("auditor", "sec.headers"))));
        foreach (var path in new[] { "/dashboard", "/dashboard/app.js", "/dashboard/app.css", "/dashboard/api/overview", "/dashboard/api/no-such-thing" })
            answers.Add((path, await dashboard.Http.GetAsync(path)));

        foreach (var (what, response) in answers)
        {
            using (response)
            {
                var csp = string.Join(";", response.Headers.TryGetValues("Content-Security-Policy", out var values) ? values : []);
                Assert.Multiple(() =>
                {
                    Assert.That(csp, Does.Contain("frame-ancestors 'none'"), what);
                    Assert.That(csp, Does.Contain("script-src 'self'").And.Not.Contain("unsafe-inline").And.Not.Contain("unsafe-eval"), what);
                    Assert.That(response.Headers.TryGetValues("X-Frame-Options", out var frame) ? frame.Single() : null, Is.EqualTo("DENY"), what);
                    Assert.That(response.Headers.TryGetValues("X-Content-Type-Options", out var sniff) ? sniff.Single() : null, Is.EqualTo("nosniff"), what);
                });
            }
        }
    }

    [Test]
    public async Task An_admin_reads_but_does_not_act_neither_on_the_operator_API_nor_on_the_dashboard()
    {
        var id = await orchestrator.InFlightTransferAsync("sec-admin");
        var admin = orchestrator.Token("admin", "sec.admin");
        using var api = DashboardClient.Bearer(orchestrator.BaseAddress, admin);
        foreach (var action in new[] { "retry", "abort" })
        {
            using var response = await api.PostAsync($"/api/v1/operator/transfers/{id}/{action}", new StringContent("""{"reason":"admin acting"}""", Encoding.UTF8, "application/json"));
            await ErrorFormat.AssertAsync(response, 403, "FORBIDDEN", $"admin {action} on the operator API");
        }

        using var dashboard = new DashboardClient(orchestrator.BaseAddress);
        using (var login = await dashboard.LogInAsync(admin))
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "admins read the dashboard");
        using (var session = await dashboard.Http.GetAsync("/dashboard/api/session"))
        {
            using var body = JsonDocument.Parse(await session.Content.ReadAsStringAsync());
            Assert.That(body.RootElement.GetProperty("can_act").GetBoolean(), Is.False, "the page shows an admin no action buttons");
        }

        using (var detail = await dashboard.Http.GetAsync($"/dashboard/api/transfers/{id}"))
            Assert.That(detail.StatusCode, Is.EqualTo(HttpStatusCode.OK), "an admin reads the transfer");
        var csrf = await dashboard.CsrfTokenAsync();
        foreach (var action in new[] { "retry", "abort" })
            await ErrorFormat.AssertAsync(await dashboard.ActAsync(id, action, csrf, "admin acting"), 403, "FORBIDDEN", $"admin {action} on the dashboard");

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Multiple(async () =>
        {
            Assert.That(await orchestrator.StateAsync(id), Is.EqualTo("Debiting"));
            Assert.That(await orchestrator.OperatorActionsAsync(id), Is.Zero, "no admin action reached the saga");
        });
    }
}
