using System.Diagnostics.Metrics;

namespace Banking.Orchestrator.Transfers;

/// <summary>The orchestrator's own instruments, on the "Banking" meter exported at /metrics.</summary>
public sealed class TransferMetrics
{
    public const string MeterName = "Banking";

    private readonly Counter<long> timeouts;
    private int stuck;
    private double amountAtRisk;

    public TransferMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        timeouts = meter.CreateCounter<long>("banking.transfer.step_timeouts", description: "Steps re-sent because they had no answer by their deadline");
        meter.CreateObservableGauge("banking.transfer.stuck", () => Volatile.Read(ref stuck), description: "Transfers in flight longer than the stuck threshold");
        meter.CreateObservableGauge("banking.transfer.amount_at_risk", () => Volatile.Read(ref amountAtRisk), description: "Debited amounts whose reversal is not yet confirmed");
    }

    public void StepTimedOut() => timeouts.Add(1);

    public void Observe(int stuckTransfers, decimal atRisk)
    {
        Volatile.Write(ref stuck, stuckTransfers);
        Volatile.Write(ref amountAtRisk, (double)atRisk);
    }
}
