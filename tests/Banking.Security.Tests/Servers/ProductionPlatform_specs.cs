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
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RealServers.RepositoryRoot, "deploy", "local", "platform.sh"));
        foreach (var argument in new[] { "token", "--role", "channel" }) start.ArgumentList.Add(argument);
        foreach (var (key, value) in platform.Servers.ScriptEnvironment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, error);

        // The first query after start may find the ledger still warming up (503); the token itself is never refused.
        var token = output.Trim().Split('\n').Last();
        await Eventually.HoldsAsync(async () =>
        {
            var status = await BalanceWithAsync(token);
            Assert.That(status, Is.Not.EqualTo(HttpStatusCode.Unauthorized).And.Not.EqualTo(HttpStatusCode.Forbidden));
            return status == HttpStatusCode.OK;
        }, "the balance answered with the token command's token", TimeSpan.FromSeconds(30));
    }
}
