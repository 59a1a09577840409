using Banking.Orchestrator.Apis;
using Microsoft.AspNetCore.Antiforgery;

namespace Banking.Orchestrator.Dashboard;

/// <summary>
/// The session cookie rides along on any request the browser sends, so every dashboard POST must also carry the
/// antiforgery token that only the dashboard's own page can read: no link, image or foreign form can act.
/// </summary>
public static class DashboardCsrf
{
    /// <summary>Where the page's script sends the token (the login form sends it as a form field instead).</summary>
    public const string Header = "X-CSRF-TOKEN";

    internal static IServiceCollection AddDashboardCsrf(this IServiceCollection services) => services.AddAntiforgery(options =>
    {
        options.HeaderName = Header;
        options.Cookie.Name = "banking.dashboard.csrf";
        options.Cookie.SameSite = SameSiteMode.Strict;
    });

    /// <summary>Answers 400 CSRF_TOKEN_INVALID before the handler runs when the request's token is missing or stale.</summary>
    public static TBuilder RequireCsrfToken<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.AddEndpointFilter(async (context, next) =>
        {
            var antiforgery = context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>();
            return await antiforgery.IsRequestValidAsync(context.HttpContext) ? await next(context) : OperatorErrors.CsrfTokenInvalid();
        });
}
