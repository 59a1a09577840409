using System.Diagnostics.Metrics;
using Serilog.Sinks.Async;

namespace Banking.ServiceDefaults;

/// <summary>
/// Makes the log buffer visible at /metrics: the lines waiting for the console (<c>banking_log_buffered</c>) and the
/// lines dropped because the buffer was full (<c>banking_log_dropped_total</c>). Dropping is the price of a consume
/// that never waits for a slow console or a full disk; this is how an operator sees that it was paid.
/// </summary>
internal sealed class LogBufferMonitor : IAsyncLogEventSinkMonitor
{
    /// <summary>One per process, like the meter its instruments are on (a service builds one logger).</summary>
    public static readonly LogBufferMonitor Instance = new();

    private IAsyncLogEventSinkInspector? inspector;

    private LogBufferMonitor()
    {
        BankingTelemetry.Meter.CreateObservableGauge("banking.log.buffered", () => inspector?.Count ?? 0,
            description: "Log events written by the service and not yet on the console");
        BankingTelemetry.Meter.CreateObservableCounter("banking.log.dropped", () => inspector?.DroppedMessagesCount ?? 0,
            description: "Log events dropped because the buffer in front of the console was full");
    }

    public void StartMonitoring(IAsyncLogEventSinkInspector started) => inspector = started;

    public void StopMonitoring(IAsyncLogEventSinkInspector stopped) => Interlocked.CompareExchange(ref inspector, null, stopped);
}
