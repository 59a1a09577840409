using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Banking.ServiceDefaults;

/// <summary>
/// Every health check's last result as <c>banking_dependency_up{check="ledger-db"}</c> (1 healthy, 0.5 degraded,
/// 0 unhealthy), published by the health check service every <see cref="HealthCheckSettings.PublishPeriod"/>. The
/// servers have no exporters of their own here; what the services see of them is what matters to a transfer, and a
/// database down behind a running service shows on this gauge while the service's own <c>up</c> stays 1.
/// </summary>
public sealed class HealthGauges : IHealthCheckPublisher
{
    private readonly ConcurrentDictionary<string, double> checks = new(StringComparer.Ordinal);

    public HealthGauges(IMeterFactory meters)
    {
        meters.Create(BankingTelemetry.MeterName).CreateObservableGauge("banking.dependency.up",
            () => checks.Select(c => new Measurement<double>(c.Value, new KeyValuePair<string, object?>("check", c.Key))),
            description: "Last result of each health check: 1 healthy, 0.5 degraded, 0 unhealthy");
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        foreach (var (name, entry) in report.Entries)
        {
            checks[name] = entry.Status switch
            {
                HealthStatus.Healthy => 1,
                HealthStatus.Degraded => 0.5,
                _ => 0,
            };
        }

        return Task.CompletedTask;
    }
}
