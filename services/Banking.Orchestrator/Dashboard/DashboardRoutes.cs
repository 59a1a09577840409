using System.Security.Claims;
using Banking.Orchestrator.Apis;
using Banking.Orchestrator.Data;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace Banking.Orchestrator.Dashboard;

/// <summary>The dashboard's routes: who may reach each one, and which part answers it.</summary>
public static class DashboardRoutes
{
    public static IEndpointRouteBuilder MapSagaDashboard(this IEndpointRouteBuilder app)
    {
        // Without a session the cookie scheme sends the browser to the login form.
        app.MapGet("/dashboard", () => DashboardPages.Asset("index.html", "text/html; charset=utf-8")).RequireAuthorization(DashboardAuthentication.Readers);
        app.MapGet("/dashboard/login", (HttpContext http, IAntiforgery antiforgery) => DashboardPages.LoginForm(antiforgery.GetAndStoreTokens(http).RequestToken!, error: null)).AllowAnonymous();
        // The login form answers a stale antiforgery token itself (the form again), so no RequireCsrfToken here.
        app.MapPost("/dashboard/login", DashboardAuthentication.LoginAsync).AllowAnonymous();
        app.MapGet("/dashboard/app.js", () => DashboardPages.Asset("app.js", "text/javascript; charset=utf-8")).AllowAnonymous();
        app.MapGet("/dashboard/app.css", () => DashboardPages.Asset("app.css", "text/css; charset=utf-8")).AllowAnonymous();

        var api = app.MapGroup("/dashboard/api").RequireAuthorization(DashboardAuthentication.Readers);
        // As Delegate: a Task<IResult>(HttpContext) method would bind as a plain RequestDelegate and its answer be discarded (ASP0016).
        api.MapPost("/logout", (Delegate)DashboardAuthentication.LogoutAsync).RequireCsrfToken();
        api.MapGet("/session", DashboardAuthentication.Session);
        api.MapGet("/overview", async (DashboardQueries queries, CancellationToken ct) => Results.Json(await queries.OverviewAsync(ct)));
        api.MapGet("/transfers", async (HttpContext http, DashboardQueries queries, CancellationToken ct) =>
            TransferFilter.FromQuery(http.Request.Query) is { } filter
                ? Results.Json(await queries.ListAsync(filter, DashboardAuthentication.SeesFullAccountNumbers(http.User), ct))
                : TransferFilter.Malformed());
        api.MapGet("/transfers/{transferId}", async (string transferId, HttpContext http, DashboardQueries queries, CancellationToken ct) =>
            await queries.DetailAsync(transferId, DashboardAuthentication.SeesFullAccountNumbers(http.User), ct) is { } detail ? Results.Json(detail) : OperatorErrors.NotFound(transferId));

        // The same actions as the operator API, with the session's operator as the one who asks or decides.
        var actions = api.MapGroup("/transfers").RequireAuthorization(DashboardAuthentication.Actors).RequireCsrfToken();
        OperatorApi.MapOperatorActions(actions);
        return app;
    }
}
