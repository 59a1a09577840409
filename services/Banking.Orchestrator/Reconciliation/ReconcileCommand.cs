using System.Globalization;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Reconciliation;

/// <summary>
/// <c>Banking.Orchestrator reconcile --date YYYY-MM-DD [--format json|csv] [--output FILE]</c>: the end-of-day report
/// of one business date, written to the file or to standard output. Exit codes: 0 clean, 1 mismatches (listed in the
/// report), 2 bad usage or reconciliation not configured, 3 a ledger or bank_core could not be read.
/// </summary>
public static class ReconcileCommand
{
    public const int Clean = 0;
    public const int Mismatches = 1;
    public const int BadUsage = 2;
    public const int Unreadable = 3;

    public static bool IsRequested(string[] args) => args is ["reconcile", ..];

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        // Disposed here because the command never runs the host, whose stop would: that also writes out the log lines
        // still in the buffer.
        await using (app)
        {
            return await RunAsync(app.Services, args, Console.Out, Console.Error, app.Lifetime.ApplicationStopping);
        }
    }

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        DateOnly? date = null;
        var format = "json";
        string? file = null;
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--date" when DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d):
                    date = d;
                    i++;
                    break;
                case "--date":
                    return Usage(error, $"--date needs a date as YYYY-MM-DD, not '{value}'");
                case "--format" when value is "json" or "csv":
                    format = value;
                    i++;
                    break;
                case "--format":
                    return Usage(error, $"--format is json or csv, not '{value}'");
                case "--output" when !string.IsNullOrWhiteSpace(value) && !value.StartsWith("--", StringComparison.Ordinal):
                    file = value;
                    i++;
                    break;
                case "--output":
                    return Usage(error, "--output needs a file name");
                default:
                    return Usage(error, $"unknown argument '{args[i]}'");
            }
        }

        if (date is not { } businessDate) return Usage(error, "--date is required");
        if (!services.GetRequiredService<IOptions<ReconciliationOptions>>().Value.IsConfigured)
        {
            await error.WriteLineAsync($"Reconciliation needs ConnectionStrings:{ReconciliationOptions.Db1ConnectionStringName} and {ReconciliationOptions.Db2ConnectionStringName} (the reconciler's read-only logins).");
            return BadUsage;
        }

        ReconciliationReport report;
        try
        {
            await using var scope = services.CreateAsyncScope();
            report = await scope.ServiceProvider.GetRequiredService<EndOfDayReconciliation>().ReportAsync(businessDate, ct);
        }
        catch (MySqlConnector.MySqlException e)
        {
            await error.WriteLineAsync($"Could not read the databases: {e.Message}");
            return Unreadable;
        }

        var text = format == "csv" ? report.ToCsv() : report.ToJson();
        if (file is null) await output.WriteAsync(text);
        else await File.WriteAllTextAsync(file, text, ct);
        await error.WriteLineAsync(report.Clean
            ? $"{businessDate:yyyy-MM-dd}: clean ({report.Transfers.Success} SUCCESS, {report.Transfers.Rollback} ROLLBACK, {report.Transfers.Failed} FAILED, {report.Transfers.Pending} PENDING)"
            : $"{businessDate:yyyy-MM-dd}: {report.Mismatches.Count} mismatch(es): {string.Join(", ", report.Mismatches.Select(m => m.Code).Distinct())}");
        return report.Clean ? Clean : Mismatches;
    }

    private static int Usage(TextWriter error, string problem)
    {
        error.WriteLine(problem);
        error.WriteLine("usage: reconcile --date YYYY-MM-DD [--format json|csv] [--output FILE]");
        return BadUsage;
    }
}
