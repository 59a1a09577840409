using System.Globalization;
using System.Text.Json;
using Banking.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Banking.Dashboard.Tests;

/// <summary>
/// The saga dashboard in a real browser (Debian's chromium, headless) against the real Orchestrator, DebitService and
/// CreditService processes on real MariaDB x2 and RabbitMQ.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Saga_dashboard_specs : DashboardBrowser
{
    protected override string PlatformName => "dash_ui";

    // Issue 17, point 4: four eyes on the page. Alice asks, cannot approve her own request, Bob approves.
    [Test]
    public async Task An_abort_above_the_four_eyes_threshold_is_asked_by_one_operator_and_approved_by_another_on_the_page()
    {
        var from = await NewAccountAsync(1, 3_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("dash-4eyes");

        await WithTransferStuckInCreditingAsync(id, from, to, 2_000.00m, async () =>
        {
            var alice = await LogInAsync("operator", "alice.operator");
            await SearchAsync(alice, expected: 1, reference: id);
            await alice.Locator($"#transfers tr[data-transfer-id='{id}']").ClickAsync();
            await alice.GetByTestId("abort").ClickAsync();
            await alice.Locator("#action-reason").FillAsync("customer dispute");
            await alice.GetByTestId("confirm").ClickAsync();
            await Expect(alice.GetByTestId("action-result")).ToHaveTextAsync($"Abort of {id} asked; above the four-eyes threshold it waits for a second operator.");
            await Expect(alice.GetByTestId("approval")).ToBeVisibleAsync(new() { Timeout = 20_000 });
            await Expect(alice.GetByTestId("approval-text")).ToContainTextAsync("Abort asked by alice.operator");
            await Expect(alice.GetByTestId("approve")).ToBeDisabledAsync();
            await Expect(alice.GetByTestId("reject")).ToHaveTextAsync("Withdraw");
            await Expect(alice.GetByTestId("actions")).ToBeHiddenAsync();
            // The disabled button is the page's courtesy; the server refuses the same request when posted anyway.
            var own = await alice.EvaluateAsync<int>(
                "async (id) => (await fetch(`/dashboard/api/transfers/${id}/abort/approve`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-TOKEN': session.csrf_token }, body: '{}' })).status", id);
            Assert.That(own, Is.EqualTo(403), "approving one's own abort");
            Assert.That((await Platform.WaitForStateAsync(id, "Crediting")).State, Is.EqualTo("Crediting"), "one operator's word fenced nothing");

            var bob = await LogInAsync("operator", "bob.operator");
            await SearchAsync(bob, expected: 1, reference: id);
            await bob.Locator($"#transfers tr[data-transfer-id='{id}']").ClickAsync();
            await Expect(bob.GetByTestId("approval-text")).ToContainTextAsync("It needs a second operator's approval.");
            await bob.Locator("#approval-reason").FillAsync("dispute confirmed with the branch");
            await bob.GetByTestId("approve").ClickAsync();
            await Expect(bob.GetByTestId("action-result")).ToHaveTextAsync($"Approval sent for {id}; the timeline shows its progress.");

            await Platform.WaitForStateAsync(id, "CancellingCredit");
            await Platform.PurgeQueueAsync("credit-ledger");
            await alice.Context.CloseAsync();
            await ScreenshotAsync(bob, "dashboard-four-eyes", "a second operator approved the abort", bob.GetByTestId("detail"));
        });

        var final = await Platform.WaitForFinalAsync(id);
        Assert.That(final.Status, Is.EqualTo("ROLLBACK"));
        var events = await Platform.TimelineAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(events.Single(e => e.EventType == "AbortAwaitingApproval").Actor, Is.EqualTo("alice.operator"));
            Assert.That(events.Single(e => e.EventType == "AbortApproved").Actor, Is.EqualTo("bob.operator"));
            Assert.That(events.Single(e => e.EventType == "AbortApproved").Details, Does.Contain("dispute confirmed with the branch"));
        });
    }

    [Test]
    public async Task An_operator_finds_a_stuck_transfer_and_aborts_it_from_the_page_and_it_rolls_back()
    {
        var from = await NewAccountAsync(1, 300.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("dash-stuck");
        const string reason = "customer called the branch, cancel it";
        IPage page = null!;

        await WithTransferStuckInCreditingAsync(id, from, to, 300.00m, async () =>
        {
            page = await LogInAsync("operator", "dash.operator");

            // Overview: counts by state, the stuck count, the chart, the oldest in-flight age and the outbox backlog.
            var tiles = page.GetByTestId("tiles");
            await Expect(tiles.Locator(".tile[data-state='Crediting'] b")).Not.ToHaveTextAsync("0");
            foreach (var state in new[] { "Debiting", "Crediting", "Compensating", "CancellingDebit", "CancellingCredit", "Completed", "Failed", "RolledBack" })
                await Expect(tiles.Locator($".tile[data-state='{state}'] b")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+$"));
            // The overview refreshes every 5 s: once the transfer is older than the threshold it is counted as stuck.
            await Expect(page.GetByTestId("stuck-count")).ToHaveClassAsync("tile alert", new() { Timeout = 20_000 });
            Assert.That(int.Parse(await page.GetByTestId("stuck-count").Locator("b").InnerTextAsync(), CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(1));
            await Expect(tiles.Locator(".tile", new() { HasText = "Oldest in flight" }).Locator("b")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+[smh]$"));
            await Expect(page.Locator("#chart rect")).ToHaveCountAsync(120);
            var bars = await page.Locator("#chart rect[fill='#2e6da4']").EvaluateAllAsync<double[]>("bars => bars.map(b => Number(b.getAttribute('height')))");
            Assert.That(bars.Max(), Is.GreaterThan(0), "this minute's transfer is drawn");
            var backlog = page.GetByTestId("backlog");
            await Expect(backlog.Locator("tr", new() { HasText = "Orchestrator" }).Locator("td.num")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+$"));
            await Expect(backlog.Locator("tr", new() { HasText = "DebitService" }).Locator("td.num")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+$"));
            await Expect(backlog.Locator("tr", new() { HasText = "CreditService" }).Locator("td.num")).ToHaveTextAsync("unavailable");
            // The error queues nothing consumes, with their depth (read by the orchestrator, not the management API).
            var errorQueues = page.GetByTestId("error-queues");
            foreach (var queue in new[] { "transfer-requests_error", "transfer-state_error", "debit-ledger_error", "credit-ledger_error" })
                await Expect(errorQueues.Locator($"tr[data-queue='{queue}'] td.num")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+$"));
            await Expect(page.GetByTestId("error-queue-total").Locator("b")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+$"));
            await ScreenshotAsync(page, "dashboard-overview", "overview with a transfer stuck while the CreditService is down");

            // The operator searches by the last digits the customer reads out, stuck ones only, and opens the transfer.
            var rows = await SearchAsync(page, expected: 1, account: from[^6..], stuckOnly: true);
            Assert.That(rows, Is.EqualTo(new[] { id }));
            var row = page.Locator($"#transfers tr[data-transfer-id='{id}']");
            await Expect(row).ToHaveClassAsync("clickable stuck");
            await Expect(row).ToContainTextAsync(from);
            await row.ClickAsync();

            var detail = page.GetByTestId("detail");
            await Expect(detail).ToBeVisibleAsync();
            await Expect(page.Locator("#detail-id")).ToHaveTextAsync(id);
            await Expect(Field(page, "State")).ToHaveTextAsync("Crediting");
            await Expect(Field(page, "Stuck")).ToHaveTextAsync("yes");
            await Expect(Field(page, "From account")).ToHaveTextAsync(from);
            await Expect(Field(page, "To account")).ToHaveTextAsync(to);
            await Expect(Field(page, "Amount")).ToHaveTextAsync("300.00 CNY");
            var timeline = page.GetByTestId("timeline");
            await Expect(timeline).ToContainTextAsync("Crediting");
            await Expect(detail.Locator("[data-ledger='DB1 (DebitService)'] tbody tr")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("ledgers")).ToContainTextAsync("This ledger service did not answer");

            // Abort: a reason, then confirm.
            await Expect(page.GetByTestId("actions")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("action-form")).ToBeHiddenAsync();
            await page.GetByTestId("abort").ClickAsync();
            await Expect(page.GetByTestId("action-form")).ToBeVisibleAsync();
            await page.Locator("#action-reason").FillAsync(reason);
            // The page refreshes the open transfer every 5 s; that must not close the form under the operator's hands.
            await page.WaitForTimeoutAsync(5_500);
            await Expect(page.Locator("#action-reason")).ToHaveValueAsync(reason);
            await page.GetByTestId("confirm").ClickAsync();
            await Expect(page.GetByTestId("action-result")).ToHaveTextAsync($"Abort sent for {id}; the timeline shows its progress.");

            await Platform.WaitForStateAsync(id, "CancellingCredit");
            // Credits re-sent before the abort must not reach the CreditService before the cancel: the fence wins.
            await Platform.PurgeQueueAsync("credit-ledger");
        });

        // The CreditService is back: the cancel is answered, the debit reversed.
        var final = await Platform.WaitForFinalAsync(id);
        await Expect(Field(page, "State")).ToHaveTextAsync("RolledBack", new() { Timeout = 20_000 });
        await Expect(Field(page, "Status")).ToHaveTextAsync("ROLLBACK");
        await Expect(Field(page, "Aborted by")).ToHaveTextAsync("dash.operator");
        await Expect(page.GetByTestId("actions")).ToBeHiddenAsync();
        var abortRow = page.GetByTestId("timeline").Locator("tbody tr", new() { HasText = "AbortRequested" });
        await Expect(abortRow).ToContainTextAsync(reason);
        await Expect(abortRow).ToContainTextAsync("dash.operator");
        await Expect(page.GetByTestId("timeline")).ToContainTextAsync("RolledBack");
        await ScreenshotAsync(page, "dashboard-detail", "detail of the aborted transfer: timeline and both ledgers", page.GetByTestId("detail"));
        await ScreenshotAsync(page, "dashboard-detail-page", "the whole page with the aborted transfer open");

        var events = await Platform.TimelineAsync(id);
        Assert.Multiple(async () =>
        {
            Assert.That(final.Status, Is.EqualTo("ROLLBACK"));
            Assert.That((await Platform.TransferAsync(id))!.State, Is.EqualTo("RolledBack"));
            Assert.That(events.Any(e => e.EventType == "AbortRequested" && e.Actor == "dash.operator" && e.Details!.Contains(reason)), Is.True,
                "the abort is in the timeline with who asked and why: " + string.Join(", ", events.Select(e => $"{e.EventType}/{e.Actor}")));
            Assert.That(await Platform.BalanceAsync(1, from), Is.EqualTo(300.00m), "debit reversed");
            Assert.That(await Platform.BalanceAsync(2, to), Is.EqualTo(0.00m), "never credited");
            Assert.That(await Platform.HistoryAsync(2, id), Is.Empty);
        });
    }

    [Test]
    public async Task An_auditor_sees_the_detail_masked_and_without_actions_and_cannot_act_through_the_api()
    {
        var from = await NewAccountAsync(1, 100.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("dash-audit");

        await WithTransferStuckInCreditingAsync(id, from, to, 40.00m, async () =>
        {
            var page = await LogInAsync("auditor", "dash.auditor");
            var rows = await SearchAsync(page, expected: 1, reference: id);
            Assert.That(rows, Is.EqualTo(new[] { id }));
            var row = page.Locator($"#transfers tr[data-transfer-id='{id}']");
            await Expect(row).ToContainTextAsync(Masked(from));
            await row.ClickAsync();

            await Expect(page.Locator("#detail-id")).ToHaveTextAsync(id);
            await Expect(Field(page, "State")).ToHaveTextAsync("Crediting");
            await Expect(Field(page, "From account")).ToHaveTextAsync(Masked(from));
            await Expect(Field(page, "To account")).ToHaveTextAsync(Masked(to));
            await Expect(page.GetByTestId("timeline").Locator("tbody tr").First).ToBeVisibleAsync();
            await Expect(page.GetByTestId("actions")).ToBeHiddenAsync();
            await Expect(page.GetByTestId("abort")).ToBeHiddenAsync();
            await Expect(page.GetByTestId("retry")).ToBeHiddenAsync();
            await Expect(page.GetByTestId("action-form")).ToBeHiddenAsync();
            var text = await page.Locator("body").InnerTextAsync();
            Assert.That(text, Does.Not.Contain(from).And.Not.Contain(to), "no full account number anywhere on the auditor's page");

            // The API behind the buttons refuses the auditor even with the page's own CSRF token.
            var status = await page.EvaluateAsync<int>("""
                async (id) => (await fetch(`/dashboard/api/transfers/${id}/abort`, {
                  method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-TOKEN": session.csrf_token },
                  body: JSON.stringify({ reason: "auditor tries" }) })).status
                """, id);
            Assert.That(status, Is.EqualTo(403));
            var retry = await page.Context.APIRequest.PostAsync(Url($"/dashboard/api/transfers/{id}/retry"), new() { DataObject = new { reason = "auditor tries" } });
            Assert.That(retry.Status, Is.EqualTo(403));

            await Task.Delay(1_000);
            var events = await Platform.TimelineAsync(id);
            Assert.That(events.Select(e => e.EventType), Has.None.StartsWith("Abort").And.None.StartsWith("Retry"));
            Assert.That((await Platform.TransferAsync(id))!.State, Is.EqualTo("Crediting"));
        }, pauseOnly: true);

        var waited = System.Diagnostics.Stopwatch.StartNew();
        var final = await Platform.WaitForFinalAsync(id);
        TestContext.Progress.WriteLine($"auditor's transfer final after {waited.Elapsed.TotalSeconds:0.0} s");
        Assert.That(final.Status, Is.EqualTo("SUCCESS"), "untouched by the auditor, the transfer completes once the CreditService is back");
    }

    // Issue 17, point 2: the continuous reconciliation on the overview. A balance edited behind the platform's back
    // (money out of nothing) shows as a difference within a check; put back, the bank is balanced again.
    [Test]
    public async Task The_overview_shows_the_last_reconciliation_and_a_balance_edited_behind_the_platforms_back()
    {
        var from = await NewAccountAsync(1, 500.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("dash-recon");
        await Platform.SubmitAsync(id, from, to, 20.00m);
        Assert.That((await Platform.WaitForFinalAsync(id)).Status, Is.EqualTo("SUCCESS"));

        var page = await LogInAsync("auditor", "dash.auditor");
        var tile = page.GetByTestId("reconciliation");
        await Expect(tile.Locator("b")).ToHaveTextAsync("balanced", new() { Timeout = 20_000 });
        await Expect(page.GetByTestId("reconciliation-checked")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^checked \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"));

        await EditBalanceAsync(from, +0.01m);
        try
        {
            await Expect(tile.Locator("b")).ToHaveTextAsync("+0.01 CNY", new() { Timeout = 20_000 });
            await Expect(tile).ToHaveClassAsync("tile alert");
            await ScreenshotAsync(page, "dashboard-reconciliation", "a balance edited behind the platform's back: 0.01 CNY out of nothing", tile);
        }
        finally
        {
            await EditBalanceAsync(from, -0.01m);
        }

        await Expect(tile.Locator("b")).ToHaveTextAsync("balanced", new() { Timeout = 20_000 });
        await Expect(tile).ToHaveClassAsync("tile");
    }

    private async Task EditBalanceAsync(string accountNo, decimal change)
    {
        await using var connection = new MySqlConnector.MySqlConnection(Platform.LedgerOf(1));
        await connection.OpenAsync();
        await using var command = new MySqlConnector.MySqlCommand(
            "UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT + @change WHERE a.BASE_ACCT_NO = @no", connection);
        command.Parameters.AddWithValue("@change", change);
        command.Parameters.AddWithValue("@no", accountNo);
        Assert.That(await command.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Filters_and_paging_return_the_right_rows()
    {
        var tag = $"dq{Guid.NewGuid():N}"[..10];
        var source = await NewAccountAsync(1, 100_000.00m);
        var frozen = await NewAccountAsync(1, 100_000.00m, status: "F");
        var destination = await NewAccountAsync(2, 0.00m);
        var unknown = $"889{Random.Shared.NextInt64(1_000_000_000_000, 9_999_999_999_999)}";

        var expected = new List<(string Id, string State, string From, string To, decimal Amount)>();
        for (var i = 0; i < 20; i++) expected.Add(($"{tag}-ok-{i:D2}", "Completed", source, destination, 10.00m + i));
        for (var i = 0; i < 5; i++) expected.Add(($"{tag}-frozen-{i:D2}", "Failed", frozen, destination, 500.00m + i));
        for (var i = 0; i < 5; i++) expected.Add(($"{tag}-unknown-{i:D2}", "RolledBack", source, unknown, 700.00m + i));
        await Task.WhenAll(expected.Select(t => Platform.SubmitAsync(t.Id, t.From, t.To, t.Amount)));
        var finals = await Task.WhenAll(expected.Select(t => Platform.WaitForFinalAsync(t.Id)));
        Assert.That(finals.Select(f => f.State), Is.EqualTo(expected.Select(t => t.State)), "the transfers ended as planned");

        var page = await LogInAsync("admin", "dash.admin");
        string[] Ids(Func<(string Id, string State, string From, string To, decimal Amount), bool> where) => [.. expected.Where(where).Select(t => t.Id)];

        await Expect(page.GetByTestId("tiles").Locator(".tile[data-state='RolledBack'] b")).Not.ToHaveTextAsync("0", new() { Timeout = 20_000 });
        await ScreenshotAsync(page, "dashboard-overview-busy", "overview after 30 transfers, some FAILED and ROLLBACK");

        // Reference prefix: all 30, newest first, 25 a page; next and previous pages.
        var first = await SearchAsync(page, expected: 25, reference: tag);
        await Expect(page.Locator("#page-info")).ToHaveTextAsync("page 1");
        await Expect(page.GetByTestId("next-page")).ToBeEnabledAsync();
        await page.GetByTestId("next-page").ClickAsync();
        await Expect(page.Locator("#page-info")).ToHaveTextAsync("page 2");
        var second = await RowsAsync(page, 5);
        await Expect(page.GetByTestId("next-page")).ToBeDisabledAsync();
        Assert.Multiple(() =>
        {
            Assert.That(first.Intersect(second), Is.Empty, "pages are disjoint");
            Assert.That(first.Concat(second), Is.EquivalentTo(Ids(_ => true)));
            Assert.That(first.Concat(second), Is.Unique);
        });
        await page.GetByTestId("prev-page").ClickAsync();
        await Expect(page.Locator("#page-info")).ToHaveTextAsync("page 1");
        Assert.That(await RowsAsync(page, 25), Is.EqualTo(first), "previous page shows page 1 again, in the same order");
        await Expect(page.GetByTestId("prev-page")).ToBeDisabledAsync();

        // State filter (with the reference prefix so other tests' transfers do not count).
        Assert.That(await SearchAsync(page, 5, state: "Failed", reference: tag), Is.EquivalentTo(Ids(t => t.State == "Failed")));
        Assert.That(await SearchAsync(page, 5, state: "RolledBack", reference: tag), Is.EquivalentTo(Ids(t => t.State == "RolledBack")));
        Assert.That(await SearchAsync(page, 20, state: "Completed", reference: tag), Is.EquivalentTo(Ids(t => t.State == "Completed")));
        Assert.That(await SearchAsync(page, 0, state: "Crediting", reference: tag), Is.Empty);
        await Expect(page.Locator("#transfers tbody tr").First).ToContainTextAsync("No transfer matches");

        // Account filter: the last digits of one account, from or to, and a full number.
        Assert.That(await SearchAsync(page, 5, account: frozen[^5..]), Is.EquivalentTo(Ids(t => t.From == frozen)));
        Assert.That(await SearchAsync(page, 5, account: unknown[^7..]), Is.EquivalentTo(Ids(t => t.To == unknown)));
        Assert.That(await SearchAsync(page, 25, account: source), Is.EquivalentTo(Ids(t => t.From == source)));
        Assert.That(await SearchAsync(page, 0, account: "0000000"), Is.Empty);

        // Amount range, inclusive at both ends.
        var range = await SearchAsync(page, 5, reference: tag, minAmount: "15", maxAmount: "19.00");
        Assert.That(range, Is.EquivalentTo(Ids(t => t.Amount is >= 15m and <= 19m)));
        var amounts = await page.Locator("#transfers tbody tr td.num").AllInnerTextsAsync();
        Assert.That(amounts.Where(a => a.EndsWith(" CNY", StringComparison.Ordinal)), Is.EquivalentTo(new[] { "15.00 CNY", "16.00 CNY", "17.00 CNY", "18.00 CNY", "19.00 CNY" }));
        Assert.That(await SearchAsync(page, 5, reference: tag, minAmount: "700"), Is.EquivalentTo(Ids(t => t.Amount >= 700m)));
        Assert.That(await SearchAsync(page, 20, reference: tag, maxAmount: "29.99"), Is.EquivalentTo(Ids(t => t.Amount <= 29.99m)));

        // Combined: state + account + amount.
        Assert.That(await SearchAsync(page, 2, state: "Failed", account: frozen[^4..], minAmount: "503"), Is.EquivalentTo(Ids(t => t.From == frozen && t.Amount >= 503m)));

        // One reference, exactly.
        var one = expected[7].Id;
        Assert.That(await SearchAsync(page, 1, reference: one), Is.EqualTo(new[] { one }));
        await Expect(page.Locator($"#transfers tr[data-transfer-id='{one}']")).ToContainTextAsync("17.00 CNY");
    }

    [Test]
    public async Task Without_a_session_the_dashboard_shows_the_login_form_and_a_GET_never_acts()
    {
        // Not logged in: the page sends the browser to the login form, the API answers 401.
        var anonymous = await NewPageAsync();
        await anonymous.GotoAsync(Url("/dashboard"));
        await Expect(anonymous).ToHaveURLAsync(LoginPage());
        await Expect(anonymous.Locator("h1")).ToHaveTextAsync("Transfer operations");
        await Expect(anonymous.Locator("textarea#token")).ToBeVisibleAsync();
        Assert.That((await anonymous.Context.APIRequest.GetAsync(Url("/dashboard/api/overview"))).Status, Is.EqualTo(401));
        Assert.That((await anonymous.Context.APIRequest.GetAsync(Url("/dashboard/api/session"))).Status, Is.EqualTo(401));

        // A token the bank did not sign, and a role the dashboard is not for, are refused at the form.
        await anonymous.Locator("#token").FillAsync(TestTokens.Issue("operator", "mallory", signingKey: "not-the-bank-key-but-long-enough-for-hmac-256!!"));
        await anonymous.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(anonymous.GetByRole(AriaRole.Alert)).ToContainTextAsync("This token is not valid");
        await anonymous.Locator("#token").FillAsync(TestTokens.Issue("channel", "some.channel"));
        await anonymous.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(anonymous.GetByRole(AriaRole.Alert)).ToContainTextAsync("operator, auditor and admin");
        await anonymous.GotoAsync(Url("/dashboard"));
        await Expect(anonymous).ToHaveURLAsync(LoginPage());
        // Both refusals are in the audit trail, with who tried (when the token says so).
        Assert.That(await DashboardLoginsAsync("DashboardLoginRefused", "some.channel"), Is.GreaterThanOrEqualTo(1));
        Assert.That(await DashboardLoginsAsync("DashboardLoginRefused", "unknown"), Is.GreaterThanOrEqualTo(1));

        var from = await NewAccountAsync(1, 100.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("dash-get");
        await WithTransferStuckInCreditingAsync(id, from, to, 25.00m, async () =>
        {
            // Neither without nor with an operator session does a GET (a link, an image, a typed URL) trigger an action.
            foreach (var action in new[] { "abort", "retry" })
            {
                Assert.That(await BrowserGetAsync(anonymous, $"/dashboard/api/transfers/{id}/{action}?reason=clicked+a+link"), Is.EqualTo(401).Or.EqualTo(405), action);
            }

            var page = await LogInAsync("operator", "dash.operator2");
            Assert.That(await DashboardLoginsAsync("DashboardLogin", "dash.operator2"), Is.GreaterThanOrEqualTo(1), "the login is in the audit trail");
            foreach (var action in new[] { "abort", "retry" })
            {
                Assert.That(await BrowserGetAsync(page, $"/dashboard/api/transfers/{id}/{action}?reason=clicked+a+link"), Is.EqualTo(405), $"GET {action}");
                var typed = await page.Context.APIRequest.GetAsync(Url($"/dashboard/api/transfers/{id}/{action}"));
                Assert.That(typed.Status, Is.EqualTo(405), $"typed URL {action}");
            }

            // An image on any page the operator visits fires a GET too.
            await page.GotoAsync(Url("/dashboard"));
            await page.EvaluateAsync("(id) => { const img = new Image(); img.src = `/dashboard/api/transfers/${id}/abort?reason=img`; document.body.append(img); }", id);

            // A POST with the session cookie but without the page's CSRF token (a foreign form) is refused as well.
            var forged = await page.Context.APIRequest.PostAsync(Url($"/dashboard/api/transfers/{id}/abort"), new() { DataObject = new { reason = "forged" } });
            Assert.That(forged.Status, Is.EqualTo(400));
            Assert.That(JsonDocument.Parse(await forged.TextAsync()).RootElement.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("CSRF_TOKEN_INVALID"));

            await Task.Delay(1_500);
            var events = await Platform.TimelineAsync(id);
            Assert.That(events.Select(e => e.EventType), Has.None.StartsWith("Abort").And.None.StartsWith("Retry"), string.Join(", ", events.Select(e => e.EventType)));
            Assert.That((await Platform.TransferAsync(id))!.State, Is.EqualTo("Crediting"));
        }, pauseOnly: true);

        Assert.That((await Platform.WaitForFinalAsync(id)).Status, Is.EqualTo("SUCCESS"));
    }

    /// <summary>A GET from the page, with its cookies, as a link or script on the page would send it; returns the status.</summary>
    private static Task<int> BrowserGetAsync(IPage page, string path) =>
        page.EvaluateAsync<int>("async (path) => (await fetch(path, { credentials: 'include', redirect: 'manual' })).status", path);

    private static string Masked(string accountNo) => $"{accountNo[..4]}{new string('*', accountNo.Length - 8)}{accountNo[^4..]}";

    private Task<long> DashboardLoginsAsync(string action, string actor) =>
        TransferPlatform.ScalarAsync<long>(Platform.Core, $"SELECT COUNT(*) FROM audit_log WHERE chain = 'dashboard' AND action = '{action}' AND actor = @p", actor);
}
