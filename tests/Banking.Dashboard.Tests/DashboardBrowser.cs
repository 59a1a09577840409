using Banking.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Banking.Dashboard.Tests;

/// <summary>
/// One real platform (DebitService, CreditService, Orchestrator processes on fresh databases and a fresh vhost) and one
/// headless Debian chromium for the fixture; every test gets its own browser context, so its own cookies.
/// </summary>
public abstract class DashboardBrowser
{
    private static long nextKey = 70_000;

    protected TransferPlatform Platform { get; private set; } = null!;
    protected IPlaywright Playwright { get; private set; } = null!;
    protected IBrowser Browser { get; private set; } = null!;

    /// <summary>The stuck threshold the orchestrator runs with in these tests.</summary>
    protected static readonly TimeSpan StuckThreshold = TimeSpan.FromSeconds(5);

    protected abstract string PlatformName { get; }

    [OneTimeSetUp]
    public async Task StartPlatformAndBrowser()
    {
        var chromium = Environment.GetEnvironmentVariable("BANKING_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium)) Assert.Fail($"{chromium} is missing: apt-get install -y chromium (Playwright's own browsers are not downloaded)");

        var started = System.Diagnostics.Stopwatch.StartNew();
        var platform = TransferPlatform.StartAsync(PlatformName, new Dictionary<string, string>
        {
            ["Transfers__StuckThreshold"] = $"00:00:{StuckThreshold.TotalSeconds:00}",
            ["Dashboard__LedgerQueryTimeout"] = "00:00:01",
            // Actions on transfers above 1,000.00 need a second operator; the other specs act on smaller ones.
            ["Transfers__FourEyesThreshold"] = "1000.00",
            // The overview's reconciliation tile follows a balance edited behind the platform's back within seconds.
            ["Reconciliation__Interval"] = "00:00:01",
        });
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        Platform = await platform;
        TestContext.Progress.WriteLine($"dashboard specs: platform and browser ready after {started.Elapsed.TotalSeconds:0.0} s");
        SetDefaultExpectTimeout(15_000);
    }

    [OneTimeTearDown]
    public async Task StopPlatformAndBrowser()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Platform is not null) await Platform.DisposeAsync();
    }

    protected string Url(string path) => new Uri(Platform.Orchestrator.BaseAddress, path).ToString();

    /// <summary>The login form, with or without the ReturnUrl the cookie scheme appends.</summary>
    protected System.Text.RegularExpressions.Regex LoginPage() =>
        new($"^{System.Text.RegularExpressions.Regex.Escape(Url("/dashboard/login"))}(\\?ReturnUrl=%2Fdashboard)?$");

    protected async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 }, BaseURL = Platform.Orchestrator.BaseAddress.ToString() });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>Opens the dashboard, is sent to the login form, pastes a bank token and signs in.</summary>
    protected async Task<IPage> LogInAsync(string role, string name)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(Url("/dashboard"));
        await Expect(page).ToHaveURLAsync(LoginPage());
        await page.Locator("#token").FillAsync(TestTokens.Issue(role, name));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(Url("/dashboard"));
        await Expect(page.GetByTestId("who")).ToContainTextAsync($"{name} ({role})");
        return page;
    }

    /// <summary>A fresh account in one ledger, so balances can be asserted exactly.</summary>
    protected async Task<string> NewAccountAsync(int database, decimal balance, string status = "A")
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"88{database}{key:D13}";
        await Platform.CreateAccountAsync(database, key, accountNo, balance, status);
        return accountNo;
    }

    protected static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 50)];

    /// <summary>
    /// A transfer that waits in Crediting because the CreditService is down (and its credit commands were lost), the way
    /// an operator finds one. The CreditService stays down until <paramref name="body"/> has run. With
    /// <paramref name="pauseOnly"/> the service is frozen (SIGSTOP) instead of killed: the transfer is just as stuck, and
    /// it resumes in no time, where a restart costs 10-30 s on a busy machine.
    /// </summary>
    protected async Task WithTransferStuckInCreditingAsync(string id, string from, string to, decimal amount, Func<Task> body, bool pauseOnly = false)
    {
        if (pauseOnly) Platform.Credit.Pause(); else await Platform.Credit.KillAsync();
        try
        {
            await Platform.SubmitAsync(id, from, to, amount);
            await Platform.WaitForStateAsync(id, "Crediting");
            if (!pauseOnly) await Platform.PurgeQueueAsync("credit-ledger");
            await body();
        }
        finally
        {
            if (pauseOnly) Platform.Credit.Resume(); else await Platform.Credit.StartAsync();
        }
    }

    protected static async Task<string> ScreenshotAsync(IPage page, string name, string description, ILocator? only = null)
    {
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{name}.png");
        if (only is null) await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        else await only.ScreenshotAsync(new() { Path = path });
        TestContext.AddTestAttachment(path, description);
        return path;
    }

    /// <summary>Fills the filter form, searches, and returns the references on the page once the list shows <paramref name="expected"/> rows.</summary>
    protected static async Task<string[]> SearchAsync(IPage page, int expected, string? state = null, string? account = null, string? reference = null,
        string? minAmount = null, string? maxAmount = null, bool stuckOnly = false)
    {
        var filters = page.GetByTestId("filters");
        await filters.Locator("select[name=state]").SelectOptionAsync(state ?? "");
        await filters.Locator("input[name=account]").FillAsync(account ?? "");
        await filters.Locator("input[name=reference]").FillAsync(reference ?? "");
        await filters.Locator("input[name=min_amount]").FillAsync(minAmount ?? "");
        await filters.Locator("input[name=max_amount]").FillAsync(maxAmount ?? "");
        await filters.Locator("input[name=stuck]").SetCheckedAsync(stuckOnly);
        // Empty the table first, so the rows counted below are the answer to this search and not the previous one.
        await page.EvaluateAsync("() => document.querySelector('#transfers tbody').replaceChildren()");
        await filters.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        return await RowsAsync(page, expected);
    }

    protected static async Task<string[]> RowsAsync(IPage page, int expected)
    {
        var rows = page.Locator("#transfers tbody tr[data-transfer-id]");
        if (expected == 0)
        {
            await Expect(page.Locator("#transfers tbody")).ToContainTextAsync("No transfer matches these filters.");
            return [];
        }

        await Expect(rows).ToHaveCountAsync(expected);
        return (await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.transferId)"));
    }

    protected static ILocator Field(IPage page, string name) => page.Locator($"#fields dd[data-field='{name}']");
}
