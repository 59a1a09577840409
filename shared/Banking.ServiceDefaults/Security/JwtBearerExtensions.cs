using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Banking.ServiceDefaults.Security;

public static class JwtBearerExtensions
{
    /// <summary>
    /// Validates the bank's tokens (section <c>Jwt</c>): issuer, audience, lifetime and signature, with HS256 for a
    /// shared key or the issuer's JWKS. Every service that takes tokens validates them the same way.
    /// </summary>
    public static AuthenticationBuilder AddBankingJwtBearer(this AuthenticationBuilder authentication)
    {
        authentication.Services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section)
            .PostConfigure<IHostEnvironment>((jwt, environment) => jwt.ApplyEnvironment(environment.IsDevelopment()))
            .ValidateDataAnnotations().ValidateOnStart();
        authentication.AddJwtBearer();
        authentication.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<JwtOptions>>((bearer, jwtOptions) =>
        {
            var jwt = jwtOptions.Value;
            // Claims keep the names they have in the token (role, client_no), as the API key handler produces them.
            bearer.MapInboundClaims = false;
            bearer.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidIssuer = jwt.Issuer,
                ValidateAudience = true,
                ValidAudience = jwt.Audience,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ClockSkew = jwt.ClockSkew,
                NameClaimType = BankingClaims.Name,
                RoleClaimType = BankingClaims.Role,
                LifetimeValidator = (notBefore, expires, _, parameters) => IsWithinLifetime(notBefore, expires, jwt.MaxTokenLifetime, parameters.ClockSkew, DateTime.UtcNow),
            };

            if (jwt.UsesSharedKey)
            {
                bearer.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.SharedKey()));
                // Only the algorithm we issue with: no "none", no RS/HS confusion.
                bearer.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
            }
            else
            {
                bearer.Authority = jwt.Authority;
                bearer.MetadataAddress = jwt.MetadataAddress ?? "";
                bearer.RequireHttpsMetadata = jwt.RequireHttpsMetadata;
                bearer.TokenValidationParameters.ValidAlgorithms =
                    [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256];
            }
        });
        return authentication;
    }

    /// <summary>
    /// Replaces the default lifetime check (which has no upper bound): an exp is required, the token must be current
    /// within the skew, and it may not be valid for longer than <paramref name="maxLifetime"/>, neither from its start
    /// (nbf) nor from now, so leaving nbf out does not lift the cap.
    /// </summary>
    public static bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, TimeSpan maxLifetime, TimeSpan clockSkew, DateTime utcNow)
    {
        if (expires is not { } exp) return false;
        exp = exp.ToUniversalTime();
        if (exp < utcNow - clockSkew) return false;
        if (notBefore is { } nbf && nbf.ToUniversalTime() > utcNow + clockSkew) return false;
        if (exp - utcNow > maxLifetime + clockSkew) return false;
        return notBefore is not { } start || exp - start.ToUniversalTime() <= maxLifetime + clockSkew;
    }
}
