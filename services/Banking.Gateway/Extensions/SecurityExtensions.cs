using System.Text;
using Banking.Gateway.Security;
using Banking.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Banking.Gateway.Extensions;

public static class SecurityExtensions
{
    private const string BearerOrApiKey = "BearerOrApiKey";

    /// <summary>
    /// JWT bearer (HS256 shared key, or JWKS from an authority) or <c>X-Api-Key</c>, both giving the same claims
    /// (sub, name, role, client_no), never both on one request; one policy per group of roles an endpoint admits.
    /// </summary>
    public static IHostApplicationBuilder AddGatewaySecurity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddAuthentication(BearerOrApiKey)
            .AddPolicyScheme(BearerOrApiKey, "Bearer token or API key", options =>
                options.ForwardDefaultSelector = context =>
                    AmbiguousCredentialsHandler.Applies(context.Request) ? AmbiguousCredentialsHandler.SchemeName
                    : context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName) ? ApiKeyAuthenticationHandler.SchemeName
                    : JwtBearerDefaults.AuthenticationScheme)
            .AddBankingJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, AmbiguousCredentialsHandler>(AmbiguousCredentialsHandler.SchemeName, null);

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.TransferWriters, policy => policy.RequireAuthenticatedUser().RequireClaim(BankingClaims.Role, Roles.TransferWriters))
            .AddPolicy(Policies.Readers, policy => policy.RequireAuthenticatedUser().RequireClaim(BankingClaims.Role, Roles.Readers));
        return builder;
    }
}
