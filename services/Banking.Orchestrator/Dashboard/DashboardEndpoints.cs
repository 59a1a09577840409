using System.Reflection;
using System.Security.Claims;
using Banking.Contracts;
using Banking.Contracts.Transfers;
using Banking.Orchestrator.Apis;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.StateMachines;
using Banking.ServiceDefaults.Security;
using MassTransit;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Banking.Orchestrator.Dashboard;

/// <summary>
/// The saga dashboard: a static page and the JSON it reads, behind a cookie session opened with a bank token.
/// Reading needs operator, auditor or admin; acting needs operator. Actions are POSTs with an antiforgery token,
/// so no link, image or foreign form can trigger one.
/// </summary>
public static class DashboardEndpoints
{
    public const string Scheme = "Dashboard";
    public const string Readers = "dashboard-readers";
    public const string Actors = "dashboard-actors";
    private const string CsrfHeader = "X-CSRF-TOKEN";

    /// <summary>The expiry (Unix seconds) of the token a session was opened with; the session ends with it.</summary>
    public const string TokenExpiresClaim = "dashboard_token_exp";

    public static IHostApplicationBuilder AddSagaDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<DashboardQueries>();
        builder.Services.AddSingleton<ErrorQueueMonitor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ErrorQueueMonitor>());
        builder.Services.AddAntiforgery(options =>
        {
            options.HeaderName = CsrfHeader;
            options.Cookie.Name = "banking.dashboard.csrf";
            options.Cookie.SameSite = SameSiteMode.Strict;
        });
        builder.Services.AddAuthentication()
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
        builder.Services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<IOptions<DashboardOptions>>((cookie, dashboard) => cookie.ExpireTimeSpan = dashboard.Value.SessionLifetime);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Readers, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(BankingClaims.Role, Roles.Operator, Roles.Auditor, Roles.Admin))
            .AddPolicy(Actors, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(BankingClaims.Role, Roles.Operator));
        return builder;
    }

    /// <summary>
    /// A session acts with the authority of the token it was opened with, so it cannot outlive it: the sliding
    /// cookie only ends idle sessions sooner. Exactly at the token's expiry, without the bearer clock skew.
    /// </summary>
    private static async Task EndWithTheToken(CookieValidatePrincipalContext context)
    {
        var expires = context.Principal?.FindFirst(TokenExpiresClaim)?.Value;
        if (expires is not null && long.TryParse(expires, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
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

    public static IEndpointRouteBuilder MapSagaDashboard(this IEndpointRouteBuilder app)
    {
        // Without a session the cookie scheme sends the browser to the login form.
        app.MapGet("/dashboard", () => DashboardPages.Asset("index.html", "text/html; charset=utf-8")).RequireAuthorization(Readers);
        app.MapGet("/dashboard/login", (HttpContext http, IAntiforgery antiforgery) => DashboardPages.LoginForm(antiforgery.GetAndStoreTokens(http).RequestToken!, error: null)).AllowAnonymous();
        app.MapPost("/dashboard/login", Login).AllowAnonymous();
        app.MapGet("/dashboard/app.js", () => DashboardPages.Asset("app.js", "text/javascript; charset=utf-8")).AllowAnonymous();
        app.MapGet("/dashboard/app.css", () => DashboardPages.Asset("app.css", "text/css; charset=utf-8")).AllowAnonymous();

        var api = app.MapGroup("/dashboard/api").RequireAuthorization(Readers);
        api.MapPost("/logout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http)) return OperatorErrors.CsrfTokenInvalid();
            await http.SignOutAsync(Scheme);
            return Results.NoContent();
        });
        api.MapGet("/session", (HttpContext http, IAntiforgery antiforgery) => Results.Json(new
        {
            name = http.User.FindFirst(BankingClaims.Name)?.Value,
            roles = http.User.FindAll(BankingClaims.Role).Select(c => c.Value),
            can_act = http.User.HasClaim(BankingClaims.Role, Roles.Operator),
            full_account_numbers = SeesFullAccountNumbers(http.User),
            csrf_token = antiforgery.GetAndStoreTokens(http).RequestToken,
        }));
        api.MapGet("/overview", async (DashboardQueries queries, CancellationToken ct) => Results.Json(await queries.OverviewAsync(ct)));
        api.MapGet("/transfers", async (HttpContext http, DashboardQueries queries, CancellationToken ct) =>
            TransferFilter.FromQuery(http.Request.Query) is { } filter
                ? Results.Json(await queries.ListAsync(filter, SeesFullAccountNumbers(http.User), ct))
                : TransferFilter.Malformed());
        api.MapGet("/transfers/{transferId}", async (string transferId, HttpContext http, DashboardQueries queries, CancellationToken ct) =>
            await queries.DetailAsync(transferId, SeesFullAccountNumbers(http.User), ct) is { } detail ? Results.Json(detail) : OperatorErrors.NotFound(transferId));

        var actions = api.MapGroup("/transfers/{transferId}").RequireAuthorization(Actors);
        actions.MapPost("/retry", (string transferId, [FromBody] OperatorApi.OperatorActionRequest? body, HttpContext http, IAntiforgery antiforgery, CoreDbContext db, IPublishEndpoint bus, CancellationToken ct) =>
            Act(http, antiforgery, db, transferId, body, ct, (who, reason) => bus.Publish(new RetryTransfer { TransferId = transferId, RequestedBy = who, Reason = reason }, ct)));
        actions.MapPost("/abort", (string transferId, [FromBody] OperatorApi.OperatorActionRequest? body, HttpContext http, IAntiforgery antiforgery, CoreDbContext db, IPublishEndpoint bus, CancellationToken ct) =>
            Act(http, antiforgery, db, transferId, body, ct, (who, reason) => bus.Publish(new AbortTransfer { TransferId = transferId, RequestedBy = who, Reason = reason }, ct)));
        return app;
    }

    private static async Task<IResult> Act(HttpContext http, IAntiforgery antiforgery, CoreDbContext db, string transferId, OperatorApi.OperatorActionRequest? body, CancellationToken ct, Func<string, string, Task> send)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
            return OperatorErrors.CsrfTokenInvalid();
        return await OperatorApi.ActAsync(transferId, body, http.User, db, ct, send);
    }

    private static async Task<IResult> Login(HttpContext http, IAntiforgery antiforgery, IOptionsMonitor<JwtBearerOptions> bearer, ILoggerFactory loggers)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
            return DashboardPages.LoginForm(antiforgery.GetAndStoreTokens(http).RequestToken!, "The form expired; please try again.");

        var form = await http.Request.ReadFormAsync();
        var token = form["token"].ToString().Trim();
        var parameters = await ValidationParametersAsync(bearer.Get(JwtBearerDefaults.AuthenticationScheme), http.RequestAborted);
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            loggers.CreateLogger("Banking.Orchestrator.Dashboard").LogWarning("Dashboard login refused: {Reason}", result.Exception?.GetType().Name ?? "invalid token");
            return DashboardPages.LoginForm(antiforgery.GetAndStoreTokens(http).RequestToken!, "This token is not valid (expired, or not issued by the bank).");
        }

        // RequireExpirationTime holds for every bank token, so a valid one has an expiry.
        var tokenExpires = new DateTimeOffset(DateTime.SpecifyKind(result.SecurityToken.ValidTo, DateTimeKind.Utc));
        var claims = result.ClaimsIdentity.Claims.Where(c => c.Type != TokenExpiresClaim)
            .Append(new Claim(TokenExpiresClaim, tokenExpires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, BankingClaims.Name, BankingClaims.Role));
        if (!IsReader(principal))
            return DashboardPages.LoginForm(antiforgery.GetAndStoreTokens(http).RequestToken!, "The dashboard is for the operator, auditor and admin roles.");

        var sessionLifetime = http.RequestServices.GetRequiredService<IOptions<DashboardOptions>>().Value.SessionLifetime;
        var cookieExpires = DateTimeOffset.UtcNow + sessionLifetime < tokenExpires ? DateTimeOffset.UtcNow + sessionLifetime : tokenExpires;
        await http.SignInAsync(Scheme, principal, new AuthenticationProperties { ExpiresUtc = cookieExpires });
        return Results.Redirect("/dashboard");
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

    private static bool IsReader(ClaimsPrincipal user) =>
        user.HasClaim(BankingClaims.Role, Roles.Operator) || user.HasClaim(BankingClaims.Role, Roles.Auditor) || user.HasClaim(BankingClaims.Role, Roles.Admin);

    /// <summary>Operators and admins resolve customer cases and need full numbers; auditors review patterns and see them masked (the gateway's rule too).</summary>
    private static bool SeesFullAccountNumbers(ClaimsPrincipal user) => Banking.ServiceDefaults.AccountMasking.SeesFullAccountNumbers(user);
}
