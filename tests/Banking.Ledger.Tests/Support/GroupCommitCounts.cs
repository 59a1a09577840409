using System.Globalization;
using System.Text.RegularExpressions;
using Banking.Contracts;
using Banking.Testing;

namespace Banking.Ledger.Tests.Support;

/// <summary>What one service instance's group commit did on the debit ledger's queue, as its /metrics reports it.</summary>
public sealed partial record GroupCommitCounts(long Committed, long Messages, long Failed, long AuditHeadMoved)
{
    public static async Task<GroupCommitCounts> OfAsync(ServiceProcess process, string endpoint = Endpoints.DebitLedger)
    {
        using var http = new HttpClient { BaseAddress = process.BaseAddress };
        var metrics = await http.GetStringAsync("/metrics");
        long Sum(string name) => (long)MetricLine().Matches(metrics)
            .Where(m => m.Groups["name"].Value == name && m.Groups["labels"].Value.Contains($"endpoint=\"{endpoint}\"", StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
        return new GroupCommitCounts(Sum("banking_group_commit_size_count"), Sum("banking_group_commit_size_sum"), Sum("banking_group_commit_failed_total"),
            Sum("banking_group_commit_audit_head_moved_total"));
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex MetricLine();
}
