using Banking.Contracts;
using MassTransit;

namespace Banking.Orchestrator.Transfers;

/// <summary>
/// <c>transfer-requests</c>: systems in any language publish plain JSON here (no MassTransit envelope, no message
/// type). The consumer writes nothing, so it needs no outbox: a redelivery becomes a duplicate request the saga ignores.
/// </summary>
public sealed class UpstreamTransferRequestConsumerDefinition : ConsumerDefinition<UpstreamTransferRequestConsumer>
{
    public UpstreamTransferRequestConsumerDefinition() => EndpointName = UpstreamTransferRequestConsumer.QueueName;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<UpstreamTransferRequestConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
        endpointConfigurator.UseMessageRetry(retry =>
        {
            // A message that can never be read is not retried: it goes to the error queue at once.
            retry.Ignore<InvalidMessageException>();
            retry.Interval(3, TimeSpan.FromMilliseconds(500));
        });
    }
}

/// <summary><c>transfer-status</c>: the gateway's status queries, read-only, so neither outbox nor retries.</summary>
public sealed class GetTransferStatusConsumerDefinition : ConsumerDefinition<GetTransferStatusConsumer>
{
    public GetTransferStatusConsumerDefinition() => EndpointName = Endpoints.TransferStatus;
}

/// <summary><c>transfer-status</c> as well: the gateway's transfer lists, read-only like the status queries.</summary>
public sealed class GetTransferListConsumerDefinition : ConsumerDefinition<GetTransferListConsumer>
{
    public GetTransferListConsumerDefinition() => EndpointName = Endpoints.TransferStatus;
}
