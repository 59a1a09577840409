using System.Globalization;
using Banking.Orchestrator.Apis;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Reconciliation;

/// <summary>
/// <c>GET /api/v1/operator/reconciliation?date=YYYY-MM-DD[&amp;format=csv]</c>: the end-of-day report for operators,
/// the same as the <c>reconcile</c> command's. 200 whether clean or not (the report says which); 400 for a bad date.
/// </summary>
public static class ReconciliationApi
{
    public static IEndpointRouteBuilder MapReconciliationApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/operator/reconciliation", ReportAsync).RequireAuthorization(Policies.Operators);
        return app;
    }

    private static async Task<IResult> ReportAsync(string? date, string? format, IServiceProvider services, IOptions<ReconciliationOptions> options, CancellationToken ct)
    {
        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var businessDate))
            return OperatorErrors.Validation("date", "date is required as a business date YYYY-MM-DD");
        if (format is not (null or "json" or "csv"))
            return OperatorErrors.Validation("format", "format is json or csv");
        if (!options.Value.IsConfigured)
            return ApiError.Unavailable("Reconciliation is not configured on this orchestrator (ConnectionStrings:ReconciliationDb1 and ReconciliationDb2)");

        var report = await services.GetRequiredService<EndOfDayReconciliation>().ReportAsync(businessDate, ct);
        return format == "csv"
            ? Results.Text(report.ToCsv(), "text/csv; charset=utf-8")
            : Results.Json(report, ReconciliationReport.Json);
    }
}
