using MassTransit;

namespace Banking.Ledger.Queries;

/// <summary>
/// A consumer that only reads: it answers on the service's query queue, with MassTransit's defaults and no inbox,
/// outbox or sender check. A read changes nothing, so a repeated question simply gets a fresh answer, and requesters
/// other than the orchestrator (the gateway, the dashboard) may ask.
/// </summary>
public sealed class LedgerQueryConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    public LedgerQueryConsumerDefinition(LedgerQueues queues) => EndpointName = queues.Queries;
}
