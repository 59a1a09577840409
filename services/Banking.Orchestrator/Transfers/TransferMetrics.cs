using System.Diagnostics.Metrics;

namespace Banking.Orchestrator.Transfers;

/// <summary>The orchestrator's own instruments, on the "Banking" meter exported at /metrics.</summary>
public sealed class TransferMetrics
{
    public const string MeterName = "Banking";

    private readonly Counter<long> timeouts;
    private readonly Counter<long> finished;
    private readonly Histogram<double> submitToFinal;
    private int stuck;
    private double amountAtRisk;
    private IReadOnlyDictionary<string, int> inFlight = new Dictionary<string, int>();

    public TransferMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        timeouts = meter.CreateCounter<long>("banking.transfer.step_timeouts", description: "Steps re-sent because they had no answer by their deadline");
        finished = meter.CreateCounter<long>("banking.transfer.finished", description: "Transfers that reached their final status (SUCCESS, FAILED, ROLLBACK), once committed");
        // Buckets around the objective (a transfer final within a second at the 99th percentile) and the step timeout.
        submitToFinal = meter.CreateHistogram("banking.transfer.duration", unit: "s", description: "From the request's arrival at the saga to the final status",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });
        meter.CreateObservableGauge("banking.transfer.stuck", () => Volatile.Read(ref stuck), description: "Transfers in flight longer than the stuck threshold");
        meter.CreateObservableGauge("banking.transfer.amount_at_risk", () => Volatile.Read(ref amountAtRisk), description: "Debited amounts whose reversal is not yet confirmed");
        meter.CreateObservableGauge("banking.transfer.in_flight",
            () => Volatile.Read(ref inFlight).Select(s => new Measurement<int>(s.Value, new KeyValuePair<string, object?>("state", s.Key))),
            description: "Transfers not yet final, by the state they wait in");
    }

    public void StepTimedOut() => timeouts.Add(1);

    public void Finished(string status, TimeSpan submitToFinalTime)
    {
        var tag = new KeyValuePair<string, object?>("status", status);
        finished.Add(1, tag);
        submitToFinal.Record(Math.Max(0, submitToFinalTime.TotalSeconds), tag);
    }

    public void Observe(int stuckTransfers, decimal atRisk, IReadOnlyDictionary<string, int> inFlightByState)
    {
        Volatile.Write(ref stuck, stuckTransfers);
        Volatile.Write(ref amountAtRisk, (double)atRisk);
        Volatile.Write(ref inFlight, inFlightByState);
    }
}
