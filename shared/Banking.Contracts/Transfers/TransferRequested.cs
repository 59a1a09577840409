namespace Banking.Contracts.Transfers;

/// <summary>
/// A request to move <see cref="Amount"/> from <see cref="FromAccount"/> (DB1) to <see cref="ToAccount"/> (DB2).
/// Published by the gateway, or as plain JSON by upstream systems. <see cref="TransferId"/> is the
/// idempotency key: publishing it again never moves money twice.
/// </summary>
public record TransferRequested
{
    public required string TransferId { get; init; }
    public required string FromAccount { get; init; }
    public required string ToAccount { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public string? Description { get; init; }

    /// <summary>Who asked: a client number, API key name or upstream system name, for the audit log.</summary>
    public string? RequestedBy { get; init; }

    /// <summary>Where it came from: <c>REST</c>, <c>RABBITMQ</c>, ...</summary>
    public string? Channel { get; init; }

    /// <summary>The network address the request reached the gateway from (REST only), for the audit trail.</summary>
    public string? SourceAddress { get; init; }

    public DateTime? RequestedAtUtc { get; init; }

    /// <summary>
    /// A fingerprint of the request's money-relevant fields (from, to, amount, currency, description),
    /// kept with the transfer so that a later request with the same reference but another body is told apart.
    /// </summary>
    public string? RequestHash { get; init; }

    /// <summary>
    /// Set by a channel that found the request broken in a way this record cannot carry (a string amount, more
    /// decimals than a decimal holds, a content type other than JSON): the saga records it FAILED with this reason.
    /// </summary>
    public TransferRefusal? ChannelRefusal { get; init; }

    /// <summary>The message id of the request as the sender sent it (an upstream system's AMQP <c>message_id</c>).</summary>
    public Guid? RequestMessageId { get; init; }
}
