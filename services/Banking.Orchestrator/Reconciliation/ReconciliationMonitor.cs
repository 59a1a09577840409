using System.Diagnostics.Metrics;
using Banking.Orchestrator.Transfers;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Reconciliation;

/// <summary>
/// Runs <see cref="ContinuousReconciliation"/> every <see cref="ReconciliationOptions.Interval"/> and exports the result
/// (<c>banking_reconciliation_difference</c> per currency, in the currency's units) for the alert and the dashboard.
/// Read-only, so several orchestrator instances may each run it; the alert takes the largest.
/// </summary>
public sealed class ReconciliationMonitor : BackgroundService
{
    private readonly ContinuousReconciliation reconciliation;
    private readonly ReconciliationOptions options;
    private readonly ILogger<ReconciliationMonitor> logger;
    private ContinuousCheck? last;
    private DateTime? lastFailureUtc;

    public ReconciliationMonitor(ContinuousReconciliation reconciliation, IOptions<ReconciliationOptions> options, IMeterFactory meters, ILogger<ReconciliationMonitor> logger)
    {
        this.reconciliation = reconciliation;
        this.options = options.Value;
        this.logger = logger;
        var meter = meters.Create(TransferMetrics.MeterName);
        meter.CreateObservableGauge("banking.reconciliation.difference",
            () => Last?.Currencies.Select(c => new Measurement<double>((double)c.Difference, new KeyValuePair<string, object?>("currency", c.Currency))) ?? [],
            description: "DB1 + DB2 + in flight − opening total, per currency, at the last check (0: no money made or lost)");
        meter.CreateObservableGauge("banking.reconciliation.in_flight",
            () => Last?.Currencies.Select(c => new Measurement<double>((double)c.InFlight, new KeyValuePair<string, object?>("currency", c.Currency))) ?? [],
            description: "Money debited and neither credited nor reversed yet, per currency, at the last check");
        meter.CreateObservableGauge("banking.reconciliation.failing", () => Failing ? 1 : 0,
            description: "1 while the last reconciliation check could not read the ledgers");
    }

    /// <summary>The last check that completed; null before the first.</summary>
    public ContinuousCheck? Last => Volatile.Read(ref last);

    /// <summary>True when the last attempt failed (the ledgers unreachable, a login refused).</summary>
    public bool Failing => lastFailureUtc is { } failed && (Last is not { } done || done.CheckedAtUtc < failed);

    public bool IsRunning => options.IsConfigured && options.Continuous;

    public DateTime? LastFailureUtc => lastFailureUtc;

    public async Task<ContinuousCheck> CheckNowAsync(CancellationToken ct)
    {
        try
        {
            var check = await reconciliation.CheckAsync(ct);
            Volatile.Write(ref last, check);
            foreach (var currency in check.Currencies.Where(c => c.Difference != 0m))
                logger.LogError("Reconciliation: {Currency} differs by {Difference} (DB1 {Db1} + DB2 {Db2} + in flight {InFlight} against an opening total of {Opening})",
                    currency.Currency, currency.Difference, currency.Db1, currency.Db2, currency.InFlight, currency.Opening);
            return check;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            lastFailureUtc = DateTime.UtcNow;
            throw;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!IsRunning)
        {
            logger.LogInformation(options.IsConfigured
                ? "Continuous reconciliation is off (Reconciliation:Continuous=false)"
                : "Continuous reconciliation is off: ConnectionStrings:ReconciliationDb1 and ReconciliationDb2 are not set");
            return;
        }

        using var timer = new PeriodicTimer(options.Interval);
        do
        {
            try
            {
                await CheckNowAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Not fatal: the ledgers may still be migrating at first start, or a server restarting; the gauge
                // banking_reconciliation_failing says so until a check succeeds.
                logger.LogWarning(e, "Reconciliation check failed; next attempt in {Interval}", options.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
