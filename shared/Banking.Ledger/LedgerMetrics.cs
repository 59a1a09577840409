using System.Diagnostics.Metrics;

namespace Banking.Ledger;

/// <summary>
/// Ledger operations decided by this service, counted once they committed: <c>banking_ledger_operations_total</c>
/// by operation (DEBIT, CREDIT, REVERSE_DEBIT), outcome (APPLIED, REJECTED, CANCELLED, NOOP) and reason code (for a
/// refusal). A repeat answered from a recorded claim is not counted again: this is what the ledger did, not what it
/// was asked.
/// </summary>
public static class LedgerMetrics
{
    /// <summary>The meter every service exports (ServiceDefaults' BankingTelemetry.MeterName).</summary>
    public const string MeterName = "Banking";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Operations = Meter.CreateCounter<long>("banking.ledger.operations",
        description: "Ledger operations committed, by operation, outcome and reason code");

    internal static void Committed(LedgerResult result) =>
        Operations.Add(1,
            new KeyValuePair<string, object?>("operation", result.Operation),
            new KeyValuePair<string, object?>("outcome", result.Outcome),
            new KeyValuePair<string, object?>("reason", result.ReasonCode ?? "none"));
}
