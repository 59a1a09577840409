using Banking.Contracts;
using Banking.Contracts.Transfers;
using MassTransit;

namespace Banking.Orchestrator.Transfers;

/// <summary>
/// Takes plain-JSON requests from upstream systems and hands them to the saga as <see cref="TransferRequested"/>.
/// It writes nothing itself: if it dies after publishing and before the acknowledgement, the broker redelivers and
/// the saga, keyed by transfer id, sees a duplicate request and changes nothing.
/// </summary>
public sealed class UpstreamTransferRequestConsumer(ILogger<UpstreamTransferRequestConsumer> logger) : IConsumer<UpstreamTransferRequest>
{
    public const string QueueName = "transfer-requests";

    public async Task Consume(ConsumeContext<UpstreamTransferRequest> context)
    {
        // Without a message id a redelivery cannot be told from a new message; the publisher must set one.
        if (context.MessageId is null)
        {
            throw new InvalidMessageException("an upstream transfer request must carry an AMQP message_id (a GUID); the message was refused unprocessed");
        }

        var request = context.Message;
        if (!TransferRules.IsValidTransferId(request.TransferId))
        {
            throw new InvalidMessageException($"transfer_id must be 1 to {TransferIds.MaxLength} characters of A-Z, a-z, 0-9, '_' or '-'; the message was refused unprocessed");
        }

        logger.LogInformation("Upstream transfer request {TransferId} from {RequestedBy}", request.TransferId, request.RequestedBy ?? "upstream");
        await context.Publish(new TransferRequested
        {
            TransferId = request.TransferId!,
            FromAccount = request.FromAccount ?? "",
            ToAccount = request.ToAccount ?? "",
            Amount = request.Amount,
            Currency = request.Currency ?? "",
            Description = request.Description,
            RequestedBy = request.RequestedBy ?? "upstream",
            Channel = "RABBITMQ",
            RequestedAtUtc = context.SentTime ?? DateTime.UtcNow,
        }, context.CancellationToken);
    }
}

/// <summary>A message that can never be processed as sent: it goes to the error queue with this reason, without retries.</summary>
public sealed class InvalidMessageException(string message) : Exception(message);
