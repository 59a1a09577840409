using System.Diagnostics.Metrics;
using Banking.Messaging.Groups;

namespace Banking.Messaging.Tests.Support;

/// <summary>What the group commit of one endpoint reported on its meter while the spec ran.</summary>
public sealed class GroupRecorder : IDisposable
{
    private readonly MeterListener listener = new();
    private int largest;
    private long failed;

    public GroupRecorder(string endpoint)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GroupCommitMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "banking.group_commit.size" && IsFor(tags, endpoint)) InterlockedMax(ref largest, value);
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "banking.group_commit.failed" && IsFor(tags, endpoint)) Interlocked.Add(ref failed, value);
        });
        listener.Start();
    }

    public int Largest => Volatile.Read(ref largest);

    public long Failed => Interlocked.Read(ref failed);

    private static bool IsFor(ReadOnlySpan<KeyValuePair<string, object?>> tags, string endpoint)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "endpoint" && tag.Value as string == endpoint) return true;
        }

        return false;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public void Dispose() => listener.Dispose();
}
