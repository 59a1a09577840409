using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Banking.Gateway.Tests.Support;
using Banking.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Gateway.Tests;

/// <summary>
/// <c>dotnet Banking.Gateway.dll token --role ...</c>, run as the built DLL in its own process: in Development it
/// prints a token the gateway accepts; in any other environment it refuses and prints nothing on stdout.
/// </summary>
public sealed class TokenCommand_Specs
{
    private static string GatewayDll
    {
        get
        {
            // The configuration the tests were built in, as ServiceProcess picks it.
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(RealServers.RepositoryRoot, "services", "Banking.Gateway", "bin", configuration, "net10.0", "Banking.Gateway.dll");
        }
    }

    private sealed record Run(int ExitCode, string Output, string Error);

    /// <param name="environment">ASPNETCORE_ENVIRONMENT and DOTNET_ENVIRONMENT to set; null leaves both unset.</param>
    private static async Task<Run> RunToken(string? environment, params string[] arguments)
    {
        Assert.That(File.Exists(GatewayDll), Is.True, $"the gateway is built: {GatewayDll}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The content root, where appsettings.Development.json (and its development key) is found.
            WorkingDirectory = Path.GetDirectoryName(GatewayDll)!,
        };
        start.ArgumentList.Add(GatewayDll);
        start.ArgumentList.Add("token");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Whatever the test runner inherited must not decide the environment.
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        if (environment is not null)
        {
            start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
            start.Environment["DOTNET_ENVIRONMENT"] = environment;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Run(process.ExitCode, await output, await error);
    }

    [Test]
    public async Task In_Development_it_prints_a_customer_token_the_gateway_accepts()
    {
        var run = await RunToken("Development", "--role", "customer", "--client-no", "C0001");
        Assert.That(run.ExitCode, Is.Zero, run.Error);
        var token = run.Output.Trim();
        Assert.That(token.Split('.'), Has.Length.EqualTo(3), "one signed JWT on stdout, nothing else");

        var claims = new JsonWebToken(token);
        Assert.That(claims.GetClaim("role").Value, Is.EqualTo("customer"));
        Assert.That(claims.GetClaim("client_no").Value, Is.EqualTo("C0001"));

        // A gateway that trusts the development issuer, as appsettings.json and appsettings.Development.json configure it.
        await using var gateway = await GatewayHost.StartAsync("gw-devtoken", new Dictionary<string, string?>
        {
            ["Jwt:SigningKey"] = TestTokens.DevelopmentSigningKey,
            ["Jwt:Issuer"] = "banking",
            ["Jwt:Audience"] = "banking-api",
        });
        var own = gateway.Responder.AddAccount(Ledger.Debit, 10000m, clientNo: "C0001");
        var foreign = gateway.Responder.AddAccount(Ledger.Debit, 10000m, clientNo: "C0002");
        using var customer = gateway.Client();
        customer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using (var mine = await customer.GetAsync($"/api/v1/account/{own}/balance"))
            Assert.That(mine.StatusCode, Is.EqualTo(HttpStatusCode.OK), await mine.Content.ReadAsStringAsync());
        // The client number in the token is the one the command was given.
        using (var theirs = await customer.GetAsync($"/api/v1/account/{foreign}/balance"))
            await theirs.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [TestCase("Production")]
    [TestCase("Staging")]
    [TestCase(null, TestName = "Without an environment (which is Production) the token command refuses")]
    public async Task Outside_Development_it_refuses_and_prints_no_token(string? environment)
    {
        var run = await RunToken(environment, "--role", "customer", "--client-no", "C0001");
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.Not.Zero);
            Assert.That(run.Output.Trim(), Is.Empty, "no token on stdout");
            Assert.That(run.Error, Does.Contain("Development"));
        });
    }

    [TestCase("--role", "teller", TestName = "An unknown role is refused")]
    [TestCase("--role", "customer", TestName = "A customer token without --client-no is refused")]
    [TestCase("--client-no", "C0001", TestName = "A token without --role is refused")]
    public async Task A_bad_request_for_a_token_prints_usage_and_no_token(string option, string value)
    {
        var run = await RunToken("Development", option, value);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(2));
            Assert.That(run.Output.Trim(), Is.Empty);
            Assert.That(run.Error, Does.Contain("usage"));
        });
    }
}
