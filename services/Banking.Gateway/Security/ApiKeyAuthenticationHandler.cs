using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Banking.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Security;

/// <summary>
/// <c>X-Api-Key</c> for external systems. Keys are configured only as SHA-256 hashes; the presented key is
/// hashed and compared with every configured hash in constant time, so neither the match nor its position
/// leaks through timing. The claims are the ones a JWT carries (sub, name, role, client_no).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<ApiKeyOptions> keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values)) return Task.FromResult(AuthenticateResult.NoResult());
        if (values.Count != 1 || string.IsNullOrEmpty(values[0])) return Task.FromResult(AuthenticateResult.Fail("one API key expected"));

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(values[0]!), presented);

        ApiKeyEntry? match = null;
        Span<byte> configured = stackalloc byte[SHA256.HashSizeInBytes];
        foreach (var key in keys.CurrentValue.Keys)
        {
            if (Convert.FromHexString(key.KeyHash, configured, out _, out var written) != System.Buffers.OperationStatus.Done || written != configured.Length) continue;
            if (CryptographicOperations.FixedTimeEquals(presented, configured) && match is null) match = key;
        }

        if (match is null) return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
        if (match.Revoked)
        {
            Logger.LogWarning("Revoked API key {ApiKeyName} was presented", match.Name);
            return Task.FromResult(AuthenticateResult.Fail("revoked API key"));
        }

        var claims = new List<Claim>
        {
            new(BankingClaims.Subject, "api-key:" + match.Name),
            new(BankingClaims.Name, match.Name),
            new(BankingClaims.AuthMethod, "api_key"),
        };
        claims.AddRange(match.Roles.Select(role => new Claim(BankingClaims.Role, role)));
        if (!string.IsNullOrEmpty(match.ClientNo)) claims.Add(new Claim(BankingClaims.ClientNo, match.ClientNo));

        var identity = new ClaimsIdentity(claims, SchemeName, BankingClaims.Name, BankingClaims.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
