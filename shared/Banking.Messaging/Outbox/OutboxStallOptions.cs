using System.ComponentModel.DataAnnotations;

namespace Banking.Messaging.Outbox;

/// <summary>When a message's outbox step counts as stalled (configuration section <c>Messaging:Outbox</c>).</summary>
public sealed class OutboxStallOptions
{
    public const string Section = "Messaging:Outbox";

    /// <summary>
    /// A step (consume, or send the outbox rows with broker confirms and record the delivery) that has neither
    /// finished nor failed after this long is stalled. Steps take milliseconds; MassTransit waits inside a send
    /// while the broker reconnects, so this must outlast a broker restart.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>After a stall the service stops; if it has not stopped after this long, the process ends at once.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(45);
}
