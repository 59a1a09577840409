using System.Globalization;
using System.Security.Claims;
using Banking.Contracts;
using Banking.Messaging.Audit;
using Banking.Orchestrator.Audit;
using Banking.Orchestrator.Data;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Banking.Orchestrator.Dashboard;

/// <summary>
/// Who may use the dashboard: a cookie session opened with a bank token and ending with it. Reading needs operator,
/// auditor or admin; acting (retry, abort) needs operator.
/// </summary>
public static class DashboardAuthentication
{
    public const string Scheme = "Dashboard";
    public const string Readers = "dashboard-readers";
    public const string Actors = "dashboard-actors";

    /// <summary>The expiry (Unix seconds) of the token a session was opened with; the session ends with it.</summary>
    public const string TokenExpiresClaim = "dashboard_token_exp";

    private static readonly string[] ReaderRoles = [Roles.Operator, Roles.Auditor, Roles.Admin];
    private const string ActorRole = Roles.Operator;

    internal static IServiceCollection AddDashboardSession(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddCookie(Scheme, options =>
            {
                options.Cookie.Name = "banking.dashboard";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.SlidingExpiration = true;
                options.LoginPath = "/dashboard/login";
                options.AccessDeniedPath = "/dashboard/login";
                // The JSON API answers 401/403; only the page redirects to the login form.
                options.Events.OnRedirectToLogin = context => Deny(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => Deny(context, StatusCodes.Status403Forbidden);
                options.Events.OnValidatePrincipal = EndWithTheToken;
            });
        services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<IOptions<DashboardOptions>>((cookie, dashboard) => cookie.ExpireTimeSpan = dashboard.Value.SessionLifetime);
        services.AddAuthorizationBuilder()
            .AddPolicy(Readers, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(BankingClaims.Role, ReaderRoles))
            .AddPolicy(Actors, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(BankingClaims.Role, ActorRole));
        return services;
    }

    public static bool MayRead(ClaimsPrincipal user) => ReaderRoles.Any(role => user.HasClaim(BankingClaims.Role, role));

    public static bool MayAct(ClaimsPrincipal user) => user.HasClaim(BankingClaims.Role, ActorRole);

    /// <summary>Operators and admins resolve customer cases and need full numbers; auditors review patterns and see them masked (the gateway's rule too).</summary>
    public static bool SeesFullAccountNumbers(ClaimsPrincipal user) => AccountMasking.SeesFullAccountNumbers(user);

    /// <summary>Opens a session from the token posted by the login form, or shows the form again with the reason it was refused.</summary>
    public static async Task<IResult> LoginAsync(HttpContext http, IAntiforgery antiforgery, IOptionsMonitor<JwtBearerOptions> bearer, IOptions<DashboardOptions> dashboard, ILoggerFactory loggers,
        CoreDbContext db)
    {
        // Every attempt is in the audit trail, refused ones too (who tried, from where), before the answer is given.
        Task AuditAsync(string action, string actor, string details) => CoreAuditTrail.AppendAsync(db, CoreAuditTrail.DashboardChain,
            new AuditEntry(action, actor, "dashboard", details, http.Connection.RemoteIpAddress?.ToString()), http.RequestAborted);

        if (!await antiforgery.IsRequestValidAsync(http))
            return DashboardPages.LoginForm(antiforgery.GetAndStoreTokens(http).RequestToken!, "The form expired; please try again.");

        var form = await http.Request.ReadFormAsync();
        var token = form["token"].ToString().Trim();
        var parameters = await ValidationParametersAsync(bearer.Get(JwtBearerDefaults.AuthenticationScheme), http.RequestAborted);
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            loggers.CreateLogger("Banking.Orchestrator.Dashboard").LogWarning("Dashboard login refused: {Reason}", result.Exception?.GetType().Name ?? "invalid token");
            await AuditAsync("DashboardLoginRefused", "unknown", $"invalid token: {result.Exception?.GetType().Name ?? "invalid"}");
            return DashboardPages.LoginForm(antiforgery.GetAndStoreTokens(http).RequestToken!, "This token is not valid (expired, or not issued by the bank).");
        }

        // RequireExpirationTime holds for every bank token, so a valid one has an expiry.
        var tokenExpires = new DateTimeOffset(DateTime.SpecifyKind(result.SecurityToken.ValidTo, DateTimeKind.Utc));
        var claims = result.ClaimsIdentity.Claims.Where(c => c.Type != TokenExpiresClaim)
            .Append(new Claim(TokenExpiresClaim, tokenExpires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, BankingClaims.Name, BankingClaims.Role));
        var who = principal.FindFirstValue(BankingClaims.Subject) ?? principal.FindFirstValue(BankingClaims.Name) ?? "unknown";
        var roles = string.Join(',', principal.FindAll(BankingClaims.Role).Select(c => c.Value).Order(StringComparer.Ordinal));
        if (!MayRead(principal))
        {
            await AuditAsync("DashboardLoginRefused", who, $"roles {roles}: not a dashboard role");
            return DashboardPages.LoginForm(antiforgery.GetAndStoreTokens(http).RequestToken!, "The dashboard is for the operator, auditor and admin roles.");
        }

        await AuditAsync("DashboardLogin", who, $"roles {roles}");

        var sessionLifetime = dashboard.Value.SessionLifetime;
        var cookieExpires = DateTimeOffset.UtcNow + sessionLifetime < tokenExpires ? DateTimeOffset.UtcNow + sessionLifetime : tokenExpires;
        await http.SignInAsync(Scheme, principal, new AuthenticationProperties { ExpiresUtc = cookieExpires });
        return Results.Redirect("/dashboard");
    }

    public static async Task<IResult> LogoutAsync(HttpContext http)
    {
        await http.SignOutAsync(Scheme);
        return Results.NoContent();
    }

    /// <summary>What the page needs to know about its session, including the antiforgery token its POSTs must carry.</summary>
    public static IResult Session(HttpContext http, IAntiforgery antiforgery) => Results.Json(new
    {
        name = http.User.FindFirst(BankingClaims.Name)?.Value,
        // Four eyes tells operators apart by this (OperatorApi.OperatorName): the page greys out approving one's own request.
        operator_id = Apis.OperatorApi.OperatorName(http.User),
        roles = http.User.FindAll(BankingClaims.Role).Select(c => c.Value),
        can_act = MayAct(http.User),
        full_account_numbers = SeesFullAccountNumbers(http.User),
        csrf_token = antiforgery.GetAndStoreTokens(http).RequestToken,
    });

    /// <summary>
    /// A session acts with the authority of the token it was opened with, so it cannot outlive it: the sliding
    /// cookie only ends idle sessions sooner. Exactly at the token's expiry, without the bearer clock skew.
    /// </summary>
    private static async Task EndWithTheToken(CookieValidatePrincipalContext context)
    {
        var expires = context.Principal?.FindFirst(TokenExpiresClaim)?.Value;
        if (expires is not null && long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && DateTimeOffset.UtcNow < DateTimeOffset.FromUnixTimeSeconds(seconds)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(Scheme);
    }

    private static Task Deny(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/dashboard/api"))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The bearer handler's parameters, plus what it adds itself per request: with a shared key they are complete;
    /// with an Authority/JWKS the issuer's signing keys come from its (cached, refreshed) discovery document.
    /// </summary>
    private static async Task<TokenValidationParameters> ValidationParametersAsync(JwtBearerOptions bearer, CancellationToken ct)
    {
        var parameters = bearer.TokenValidationParameters.Clone();
        if (bearer.ConfigurationManager is BaseConfigurationManager managed)
        {
            // The token handler reads keys and issuer from the manager, and refreshes it when a key is unknown (rotation).
            parameters.ConfigurationManager = managed;
        }
        else if (bearer.ConfigurationManager is { } manager)
        {
            var configuration = await manager.GetConfigurationAsync(ct);
            parameters.IssuerSigningKeys = parameters.IssuerSigningKeys?.Concat(configuration.SigningKeys) ?? configuration.SigningKeys;
        }

        return parameters;
    }
}
