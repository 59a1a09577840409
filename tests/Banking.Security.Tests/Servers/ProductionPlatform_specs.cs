using System.Diagnostics;
using System.Net;
using Banking.Testing;

namespace Banking.Security.Tests.Servers;

/// <summary>
/// Issue 15, item 4 (platform side): the local platform ran in Development and accepted tokens signed with the key
/// committed in appsettings.Development.json. The gateway runs as platform.sh runs it (Production, the key file).
/// </summary>
[TestFixture]
public sealed class ProductionPlatform_specs
{
    private SecuredPlatform platform = null!;

    [OneTimeSetUp]
    public async Task StartThePlatform() => platform = await SecuredPlatform.GetAsync();

    private async Task<HttpStatusCode> BalanceWithAsync(string token)
    {
        using var http = new HttpClient { BaseAddress = platform.Gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var response = await http.GetAsync($"/api/v1/account/{SecuredPlatform.Source}/balance");
        TestContext.Out.WriteLine($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.StatusCode;
    }

    [Test]
    public async Task A_token_signed_with_the_key_committed_in_the_repository_is_refused()
    {
        var committed = TestTokens.Issue("channel", signingKey: TestTokens.DevelopmentSigningKey);
        Assert.That(await BalanceWithAsync(committed), Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task A_token_from_the_platforms_token_command_is_accepted()
    {
        // The first query after start may find the ledger still warming up (503); the token itself is never refused.
        var token = await PlatformTokenAsync("channel");
        await Eventually.HoldsAsync(async () =>
        {
            var status = await BalanceWithAsync(token);
            Assert.That(status, Is.Not.EqualTo(HttpStatusCode.Unauthorized).And.Not.EqualTo(HttpStatusCode.Forbidden));
            return status == HttpStatusCode.OK;
        }, "the balance answered with the token command's token", TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task An_accounts_statement_is_answered_by_its_ledger_under_the_ledgers_own_broker_login()
    {
        // The ledgers consume GetAccountTransactions only if deploy/rabbitmq/permissions lets their logins bind it.
        using var http = new HttpClient { BaseAddress = platform.Gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", await PlatformTokenAsync("channel"));
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await http.GetAsync($"/api/v1/account/{SecuredPlatform.Source}/transactions?limit=5");
            var body = await response.Content.ReadAsStringAsync();
            TestContext.Out.WriteLine($"{(int)response.StatusCode} {body}");
            Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.NotFound).And.Not.EqualTo(HttpStatusCode.Forbidden), body);
            return response.StatusCode == HttpStatusCode.OK && body.Contains("\"transactions\":[", StringComparison.Ordinal);
        }, "the statement of the demo account was answered", TimeSpan.FromSeconds(30));
    }

    /// <summary>A token from <c>platform.sh token</c>, signed with the key the platform generated.</summary>
    private async Task<string> PlatformTokenAsync(string role)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RealServers.RepositoryRoot, "deploy", "local", "platform.sh"));
        foreach (var argument in new[] { "token", "--role", role }) start.ArgumentList.Add(argument);
        foreach (var (key, value) in platform.Servers.ScriptEnvironment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, error);
        return output.Trim().Split('\n').Last();
    }
}
