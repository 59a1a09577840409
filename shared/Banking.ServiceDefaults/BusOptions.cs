using System.ComponentModel.DataAnnotations;

namespace Banking.ServiceDefaults;

/// <summary>How this service talks to RabbitMQ (configuration section <c>Bus</c>); the broker itself is <c>ConnectionStrings:RabbitMq</c>.</summary>
public sealed class BusOptions
{
    public const string Section = "Bus";

    /// <summary>
    /// Unacknowledged messages the broker hands one receive endpoint at a time. Each ledger message is one short
    /// MySQL transaction, so a small window keeps work spread across instances instead of queued in one of them.
    /// </summary>
    [Range(1, 1000)]
    public ushort PrefetchCount { get; set; } = 16;
}
