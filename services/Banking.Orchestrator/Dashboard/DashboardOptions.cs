using System.ComponentModel.DataAnnotations;
using Banking.Contracts;
using Banking.Orchestrator.Transfers;

namespace Banking.Orchestrator.Dashboard;

/// <summary>Configuration section <c>Dashboard</c>.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>
    /// Where a trace id leads to the logs, e.g. <c>http://grafana:3000/explore?traceId={traceId}</c>. Empty: the
    /// page shows the trace id without a link.
    /// </summary>
    public string? LogSearchUrl { get; set; }

    /// <summary>How long an operator's session lasts without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long the page waits for a ledger service to answer before showing it as unavailable.</summary>
    public TimeSpan LedgerQueryTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The platform's receive endpoints; each has an <c>_error</c> queue that nothing consumes.</summary>
    public static readonly string[] PlatformEndpoints =
    [
        Endpoints.DebitLedger, Endpoints.CreditLedger, Endpoints.DebitQueries, Endpoints.CreditQueries,
        Endpoints.TransferSaga, Endpoints.TransferStatus, UpstreamTransferRequestConsumer.QueueName,
    ];

    /// <summary>Error queues to watch instead of the platform endpoints' (full names, e.g. <c>transfer-requests_error</c>).</summary>
    public string[]? ErrorQueues { get; set; }

    public IReadOnlyList<string> WatchedErrorQueues => ErrorQueues is { Length: > 0 } queues ? queues : [.. PlatformEndpoints.Select(e => e + "_error")];

    /// <summary>How often the error queues' depths are read (one passive declare per queue).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ErrorQueuePollInterval { get; set; } = TimeSpan.FromSeconds(15);
}
