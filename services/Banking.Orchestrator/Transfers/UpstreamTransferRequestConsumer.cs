using Banking.Contracts;
using Banking.Contracts.Transfers;
using MassTransit;

namespace Banking.Orchestrator.Transfers;

/// <summary>
/// Takes plain-JSON requests from upstream systems and hands them to the saga as <see cref="TransferRequested"/>.
/// It writes nothing itself: if it dies after publishing and before the acknowledgement, the broker redelivers and
/// the saga, keyed by transfer id, sees a duplicate request and changes nothing. It decides nothing either: what only
/// the raw message shows (its content type, the amount's JSON) travels as <see cref="TransferRequested.ChannelRefusal"/>,
/// and the saga applies the one rule set of every channel, so a refusal is a FAILED transfer the sender is told about.
/// </summary>
public sealed class UpstreamTransferRequestConsumer(ILogger<UpstreamTransferRequestConsumer> logger) : IConsumer<UpstreamTransferRequest>
{
    public const string QueueName = "transfer-requests";

    private const string JsonContentType = "application/json";

    public async Task Consume(ConsumeContext<UpstreamTransferRequest> context)
    {
        // Without a message id a redelivery cannot be told from a new message; the publisher must set one.
        if (context.MessageId is null)
        {
            throw new InvalidMessageException("an upstream transfer request must carry an AMQP message_id (a GUID); the message was refused unprocessed");
        }

        // Without a usable transfer id there is no transfer to record the refusal on, and no one to tell by id.
        var request = context.Message;
        if (!TransferRules.IsValidTransferId(request.TransferId))
        {
            throw new InvalidMessageException($"transfer_id must be 1 to {TransferIds.MaxLength} characters of A-Z, a-z, 0-9, '_' or '-'; the message was refused unprocessed");
        }

        var (amount, refusal) = TransferRules.ReadAmount(request.Amount);
        var contentType = context.ReceiveContext.ContentType?.MediaType;
        if (!string.Equals(contentType, JsonContentType, StringComparison.OrdinalIgnoreCase))
        {
            refusal = TransferRefusal.Invalid("content_type", $"must be {JsonContentType}, not {(string.IsNullOrEmpty(contentType) ? "missing" : UpstreamText(contentType, 60))}");
        }

        var from = request.FromAccount ?? "";
        var to = request.ToAccount ?? "";
        var currency = request.Currency ?? "";
        logger.LogInformation("Upstream transfer request {TransferId} from {RequestedBy}", request.TransferId, UpstreamText(request.RequestedBy ?? "upstream", TransferRules.MaxRequestedByLength));
        await context.Publish(new TransferRequested
        {
            TransferId = request.TransferId!,
            FromAccount = from,
            ToAccount = to,
            Amount = amount,
            Currency = currency,
            Description = request.Description,
            RequestedBy = request.RequestedBy ?? "upstream",
            Channel = "RABBITMQ",
            RequestedAtUtc = context.SentTime ?? DateTime.UtcNow,
            RequestHash = TransferRules.RequestHash(from, to, amount, currency, request.Description),
            ChannelRefusal = refusal,
            RequestMessageId = context.MessageId,
        }, context.CancellationToken);
    }

    // Log lines and refusal reasons quote the sender's text only in bounded form.
    private static string UpstreamText(string value, int length) => value.Length <= length ? value : value[..length] + "...";
}

/// <summary>A message that can never be processed as sent: it goes to the error queue with this reason, without retries.</summary>
public sealed class InvalidMessageException(string message) : Exception(message);
