using System.Security.Claims;
using System.Text;
using Banking.ServiceDefaults.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Banking.Testing;

/// <summary>Tokens as the bank's identity provider would issue them, signed with the development key the services run with in tests.</summary>
public static class TestTokens
{
    /// <summary>The key of the services' appsettings.Development.json.</summary>
    public const string DevelopmentSigningKey = "development-only-signing-key-never-use-in-production-0001";

    public static string Issue(string role, string name = "test.user", string? clientNo = null, string signingKey = DevelopmentSigningKey, TimeSpan? lifetime = null)
    {
        var now = DateTime.UtcNow;
        var claims = new List<Claim> { new(BankingClaims.Subject, name), new(BankingClaims.Name, name), new(BankingClaims.Role, role) };
        if (clientNo is not null) claims.Add(new Claim(BankingClaims.ClientNo, clientNo));
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(30));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "banking",
            Audience = "banking-api",
            Subject = new ClaimsIdentity(claims),
            NotBefore = expires < now ? expires.AddMinutes(-5) : now.AddSeconds(-5),
            IssuedAt = expires < now ? expires.AddMinutes(-5) : now.AddSeconds(-5),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
