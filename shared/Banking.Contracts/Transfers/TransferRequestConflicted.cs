namespace Banking.Contracts.Transfers;

/// <summary>
/// A request reused the transfer id of an existing transfer with other content (another account, amount, currency or
/// description) and was refused as <see cref="ReasonCodes.DuplicateReference"/>. It is deliberately not a
/// <see cref="TransferFailed"/>: consumers correlate outcomes by transfer id, and the transfer that owns the id is
/// untouched and may well succeed. <see cref="ConflictingMessageId"/> names the refused request.
/// </summary>
public record TransferRequestConflicted
{
    public required string TransferId { get; init; }

    /// <summary>The refused request's message id (an upstream system's AMQP <c>message_id</c>, or the gateway's publish).</summary>
    public Guid? ConflictingMessageId { get; init; }

    /// <summary>Where the refused request came from: <c>REST</c>, <c>RABBITMQ</c>, ...</summary>
    public string? Channel { get; init; }

    /// <summary>Always <see cref="ReasonCodes.DuplicateReference"/>.</summary>
    public required string ReasonCode { get; init; }
    public required string Reason { get; init; }
    public required DateTime RefusedAtUtc { get; init; }
}
