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
}
