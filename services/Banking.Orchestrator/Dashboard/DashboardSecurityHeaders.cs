namespace Banking.Orchestrator.Dashboard;

/// <summary>
/// The browser protections on every orchestrator answer, not only the dashboard's: a page the orchestrator serves
/// must never run foreign script or be framed, whichever route answered.
/// </summary>
public static class DashboardSecurityHeaders
{
    // Everything the page loads is its own script and stylesheet; nothing may frame it (clickjacking of the abort button).
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static IApplicationBuilder UseDashboardSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return Task.CompletedTask;
        });
        return next(context);
    });
}
