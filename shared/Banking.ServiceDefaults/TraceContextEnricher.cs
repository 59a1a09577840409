using System.Diagnostics;
using Serilog.Core;
using Serilog.Events;

namespace Banking.ServiceDefaults;

/// <summary>Adds <c>trace_id</c>, <c>span_id</c> and, when known, <c>transfer_id</c>, so one transfer can be followed across services.</summary>
internal sealed class TraceContextEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        var activity = Activity.Current;
        if (activity is not null)
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("trace_id", activity.TraceId.ToHexString()));
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("span_id", activity.SpanId.ToHexString()));
        }

        var transferId = TransferIdOf(logEvent, activity);
        if (transferId is not null)
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("transfer_id", transferId));
        }
    }

    internal static string? TransferIdOf(LogEvent logEvent, Activity? activity)
    {
        if (logEvent.Properties.TryGetValue(BankingTelemetry.TransferIdLogProperty, out var pushed))
        {
            return pushed is ScalarValue { Value: { } value } ? value.ToString() : pushed.ToString();
        }

        // Baggage travels with the trace to other services; a tag is only on the span (or a parent) that set it.
        var fromBaggage = activity?.GetBaggageItem(BankingTelemetry.TransferIdTag);
        if (fromBaggage is not null) return fromBaggage;

        for (var current = activity; current is not null; current = current.Parent)
        {
            if (current.GetTagItem(BankingTelemetry.TransferIdTag) is { } tag) return tag.ToString();
        }

        return null;
    }
}
