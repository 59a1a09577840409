using MassTransit;

namespace Banking.Ledger.Commands;

/// <summary>
/// A consumer that moves money: it takes its commands on the service's command queue, so it runs behind that queue's
/// sender check, retry, inbox and outbox (<see cref="LedgerCommandEndpointDefinition"/>).
/// </summary>
public sealed class LedgerCommandConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    public LedgerCommandConsumerDefinition(LedgerQueues queues) => EndpointName = queues.Commands;
}
