using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Banking.ServiceDefaults;

/// <summary>Names of our own traces and metrics, registered with OpenTelemetry by <c>AddServiceDefaults</c>.</summary>
public static class BankingTelemetry
{
    public const string ActivitySourceName = "Banking";
    public const string MeterName = "Banking";

    /// <summary>Banking.Messaging's meter (group commit sizes and timings); named here so the defaults need no reference to it.</summary>
    public const string MessagingMeterName = "Banking.Messaging";

    /// <summary>MassTransit's ActivitySource and Meter are both named this.</summary>
    public const string MassTransitSourceName = "MassTransit";

    /// <summary>The span tag and baggage item that carry a transfer's id; logs pick it up as <c>transfer_id</c>.</summary>
    public const string TransferIdTag = "transfer.id";

    /// <summary>The log-context property consumers push (<c>LogContext.PushProperty("TransferId", id)</c> or a logger scope).</summary>
    public const string TransferIdLogProperty = "TransferId";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    public static readonly Meter Meter = new(MeterName);
}
