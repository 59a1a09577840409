using System.Diagnostics.Metrics;

namespace Banking.Messaging.Groups;

/// <summary>
/// What group commit does, for /metrics (meter <c>Banking.Messaging</c>): the size of every committed group per
/// endpoint (<c>banking_group_commit_size</c>), how long its transaction took, groups that failed and ran again, and
/// groups that ran again because another writer had moved the head of the endpoint's audit chain.
/// </summary>
public sealed class GroupCommitMetrics : IDisposable
{
    /// <summary>Exported by every service's /metrics (ServiceDefaults' BankingTelemetry.MessagingMeterName).</summary>
    public const string MeterName = "Banking.Messaging";

    private readonly Meter meter = new(MeterName);
    private readonly Histogram<int> size;
    private readonly Histogram<double> duration;
    private readonly Counter<long> failed;
    private readonly Counter<long> delivered;
    private readonly Counter<long> auditHeadMoved;

    public GroupCommitMetrics()
    {
        size = meter.CreateHistogram("banking.group_commit.size", unit: null, description: "Messages committed together in one transaction",
            tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        duration = meter.CreateHistogram("banking.group_commit.duration", unit: "s", description: "From the group's first statement to its commit",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1] });
        failed = meter.CreateCounter<long>("banking.group_commit.failed", description: "Groups rolled back whose members ran again");
        delivered = meter.CreateCounter<long>("banking.group_commit.delivered", description: "Messages sent after their group's commit");
        auditHeadMoved = meter.CreateCounter<long>("banking.group_commit.audit_head_moved",
            description: "Groups rolled back and run again whole because the audit chain's head they chained from had moved (another writer of the chain)");
    }

    internal void GroupCommitted(string endpoint, int members, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        size.Record(members, tag);
        duration.Record(elapsed.TotalSeconds, tag);
    }

    internal void GroupFailed(string endpoint, int members) => failed.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));

    internal void AuditHeadMoved(string endpoint) => auditHeadMoved.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));

    internal void MessagesDelivered(string endpoint, int count) => delivered.Add(count, new KeyValuePair<string, object?>("endpoint", endpoint));

    public void Dispose() => meter.Dispose();
}
