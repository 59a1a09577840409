using Banking.Contracts.Transfers;
using MassTransit;

namespace Banking.Gateway.Transfers;

/// <summary>
/// Publishes <see cref="TransferRequested"/>; with publisher confirms on, the task completes once the broker has it. The
/// message goes out under its <see cref="TransferRequested.RequestMessageId"/>, the id the saga names when it refuses it.
/// </summary>
public class TransferRequestPublisher(IBus bus)
{
    /// <param name="onChannel">
    /// Called when the message is being put on a broker channel, just before it is sent. Until then it provably has not
    /// left, whatever later goes wrong.
    /// </param>
    public virtual Task PublishAsync(TransferRequested request, Action onChannel, CancellationToken cancellationToken) =>
        bus.Publish(request, context =>
        {
            context.MessageId = request.RequestMessageId ?? context.MessageId;
            onChannel();
        }, cancellationToken);
}
