using System.ComponentModel.DataAnnotations;

namespace Banking.Messaging.Outbox;

/// <summary>How often the outbox backlog is measured (configuration section <c>Messaging:OutboxBacklog</c>).</summary>
public sealed class OutboxBacklogOptions
{
    public const string Section = "Messaging:OutboxBacklog";

    /// <summary>One indexed query per interval; Prometheus scrapes every 5 s, so a shorter interval would not be seen.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}
