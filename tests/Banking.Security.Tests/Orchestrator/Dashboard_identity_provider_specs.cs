using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Banking.Security.Tests.Orchestrator;

/// <summary>
/// Issue 15, item 20: with <c>Jwt:Authority</c> (tokens checked against the identity provider's published keys)
/// the dashboard login validated with parameters that held no key, so no operator could sign in. An identity
/// provider on loopback serves its discovery document and JWKS; its RSA tokens open a session that acts, a token
/// signed by another key does not.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Dashboard_identity_provider_specs
{
    private readonly RSA providerKey = RSA.Create(2048);
    private HttpListener provider = null!;
    private Task serving = null!;
    private LoneOrchestrator orchestrator = null!;

    [OneTimeSetUp]
    public async Task StartProviderAndOrchestrator()
    {
        var port = ServiceProcess.FreePort();
        var authority = $"http://127.0.0.1:{port}";
        provider = new HttpListener();
        provider.Prefixes.Add(authority + "/");
        provider.Start();
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(providerKey.ExportParameters(false)) { KeyId = "bank-idp-1" });
        var documents = new Dictionary<string, string>
        {
            ["/.well-known/openid-configuration"] = JsonSerializer.Serialize(new { issuer = "banking", jwks_uri = authority + "/jwks", id_token_signing_alg_values_supported = new[] { "RS256" } }),
            ["/jwks"] = JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = jwk.Kid, n = jwk.N, e = jwk.E } } }),
        };
        serving = Task.Run(async () =>
        {
            while (provider.IsListening)
            {
                HttpListenerContext context;
                try { context = await provider.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                var found = documents.TryGetValue(context.Request.Url!.AbsolutePath, out var document);
                context.Response.StatusCode = found ? 200 : 404;
                context.Response.ContentType = "application/json";
                var bytes = Encoding.UTF8.GetBytes(document ?? "{}");
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        });

        orchestrator = await LoneOrchestrator.StartAsync("sec_jwks", "Production", new Dictionary<string, string>
        {
            ["Jwt__SigningKey"] = "",
            ["Jwt__Authority"] = authority,
            ["Jwt__RequireHttpsMetadata"] = "false",
        });
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await orchestrator.DisposeAsync();
        provider.Stop();
        provider.Close();
        await serving;
        providerKey.Dispose();
    }

    [Test]
    public async Task A_token_signed_with_the_identity_providers_published_key_opens_a_dashboard_session_that_acts()
    {
        var id = await orchestrator.InFlightTransferAsync("sec-jwks");
        using var dashboard = new DashboardClient(orchestrator.BaseAddress);
        using (var login = await dashboard.LogInAsync(Issue(providerKey, "bank-idp-1", "operator", "idp.operator")))
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await login.Content.ReadAsStringAsync());

        using var abort = await dashboard.ActAsync(id, "abort", await dashboard.CsrfTokenAsync(), "customer withdrew the order");
        Assert.That(abort.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await abort.Content.ReadAsStringAsync());
        await Eventually.HoldsAsync(async () => await orchestrator.CountAsync(
            "SELECT COUNT(*) FROM transfer_event WHERE transfer_id = @id AND event_type = 'AbortRequested' AND actor = 'idp.operator'", id) == 1,
            "the abort in the timeline with the operator's name from the provider's token");
    }

    [Test]
    public async Task A_token_signed_by_another_key_is_refused_at_the_login_and_opens_nothing()
    {
        var id = await orchestrator.InFlightTransferAsync("sec-jwks-forged");
        using var otherKey = RSA.Create(2048);
        foreach (var (token, what) in new[]
        {
            (Issue(otherKey, "bank-idp-1", "operator", "mallory"), "another key under the provider's key id"),
            (Issue(otherKey, "mallory-key", "operator", "mallory"), "another key under its own key id"),
            (TestTokens.Issue("operator", "mallory"), "an HS256 token with the development key"),
        })
        {
            using var dashboard = new DashboardClient(orchestrator.BaseAddress);
            using var login = await dashboard.LogInAsync(token);
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK), what);
            Assert.That(await login.Content.ReadAsStringAsync(), Does.Contain("This token is not valid"), what);
            using var session = await dashboard.Http.GetAsync("/dashboard/api/session");
            await ErrorFormat.AssertAsync(session, 401, "UNAUTHORIZED", what);
        }

        Assert.That(await orchestrator.OperatorActionsAsync(id), Is.Zero);
    }

    private static string Issue(RSA key, string keyId, string role, string name)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "banking",
            Audience = "banking-api",
            Subject = new ClaimsIdentity([new Claim(BankingClaims.Subject, name), new Claim(BankingClaims.Name, name), new Claim(BankingClaims.Role, role)]),
            NotBefore = now.AddSeconds(-5),
            IssuedAt = now.AddSeconds(-5),
            Expires = now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = keyId }, SecurityAlgorithms.RsaSha256),
        });
    }
}
