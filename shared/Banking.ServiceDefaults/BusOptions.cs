using System.ComponentModel.DataAnnotations;

namespace Banking.ServiceDefaults;

/// <summary>How this service talks to RabbitMQ (configuration section <c>Bus</c>); the broker itself is <c>ConnectionStrings:RabbitMq</c>.</summary>
public sealed class BusOptions : IValidatableObject
{
    public const string Section = "Bus";

    /// <summary>
    /// Unacknowledged messages the broker hands one receive endpoint at a time. Each ledger message is one short
    /// MySQL transaction, so a small window keeps work spread across instances instead of queued in one of them.
    /// </summary>
    [Range(1, 1000)]
    public ushort PrefetchCount { get; set; } = 16;

    /// <summary>
    /// The kind of every durable queue the service declares (its receive queues and their <c>_error</c> and
    /// <c>_skipped</c> queues): <see cref="BrokerQueueType.Quorum"/>, replicated by Raft across a cluster's nodes, or
    /// <see cref="BrokerQueueType.Classic"/>, one node's. A queue's kind is fixed when it is declared: switching an
    /// existing broker means draining and deleting its queues first (see README "Broker queues").
    /// </summary>
    public BrokerQueueType QueueType { get; set; } = BrokerQueueType.Quorum;

    /// <summary>
    /// How many times a quorum queue hands out one message before it gives up on it and dead-letters it into the
    /// queue's <c>_error</c> queue: a message that crashes its consumer's process every time cannot loop for ever.
    /// Every redelivery counts, also those after a crash or a restart of a healthy service holding
    /// <see cref="PrefetchCount"/> messages, so the limit is well above what the fault suite's kills add up to.
    /// </summary>
    [Range(2, 1000)]
    public int DeliveryLimit { get; set; } = 20;

    /// <summary>
    /// The other nodes of the broker's cluster, comma-separated <c>host:port</c> (the first node is
    /// <c>ConnectionStrings:RabbitMq</c>'s host): the service connects to the first that answers and reconnects to a
    /// surviving one when its node dies. Same login, virtual host and TLS as the connection string.
    /// </summary>
    public string? ClusterNodes { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var node in BrokerNodes.Split(ClusterNodes))
        {
            if (!BrokerNodes.TryParse(node, out _))
                yield return new ValidationResult($"Bus:ClusterNodes entries are host:port, not '{node}'", [nameof(ClusterNodes)]);
        }
    }
}

public enum BrokerQueueType
{
    Quorum,
    Classic,
}
