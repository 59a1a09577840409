using System.ComponentModel.DataAnnotations;

namespace Banking.Messaging.Groups;

/// <summary>How messages consumed concurrently on one endpoint share a transaction (configuration section <c>Messaging:GroupCommit</c>).</summary>
public sealed class GroupCommitOptions
{
    public const string Section = "Messaging:GroupCommit";

    /// <summary>
    /// The most messages one transaction takes. A group is whatever has arrived while the previous group was being
    /// written, up to this many; it bounds the statement size and how much one failing member makes the others redo.
    /// </summary>
    [Range(1, 512)]
    public int MaxGroupSize { get; set; } = 128;

    /// <summary>
    /// How long a group that is not full may wait for more members before it starts. Zero (the default): a group
    /// starts at once with what is there, so a quiet endpoint runs every message alone without delay, and a busy
    /// one forms groups on its own from what arrives while the previous group commits.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.100")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Committed groups whose messages may still be on their way to the broker while the next group is written.
    /// Sending and confirming overlaps with the next transaction; this bounds what is held in memory meanwhile.
    /// </summary>
    [Range(1, 64)]
    public int DeliveriesInFlight { get; set; } = 4;

    /// <summary>
    /// Messages an endpoint with group commit takes from the broker and holds at once (its prefetch and concurrency):
    /// a group can only be as large as what is in flight, and a member waits in memory, not on a thread.
    /// </summary>
    [Range(1, 2000)]
    public int MessagesInFlight { get; set; } = 256;

    /// <summary>
    /// How long a group's sends may take, confirms included, before its delivery fails and its members are left to
    /// the broker's redelivery. Well above a healthy broker's milliseconds, well below the outbox stall timeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
