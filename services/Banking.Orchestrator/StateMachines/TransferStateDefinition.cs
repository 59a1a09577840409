using Banking.Contracts;
using Banking.Messaging.Outbox;
using Banking.Orchestrator.Data;
using MassTransit;

namespace Banking.Orchestrator.StateMachines;

/// <summary>The saga's endpoint, <c>transfer-state</c>, and how a message there is made durable.</summary>
public sealed class TransferStateDefinition : SagaDefinition<TransferState>
{
    public TransferStateDefinition() => EndpointName = Endpoints.TransferSaga;

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<TransferState> sagaConfigurator, IRegistrationContext context)
    {
        // Two first events for one transfer may both find no row; the loser's insert fails on the unique key and its
        // retry loads the row the winner created.
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(8, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100)));
        // The saga row, its timeline, the inbox row and the steps it sends commit in one transaction.
        endpointConfigurator.UseTransactionalOutbox<CoreDbContext>(context);
    }
}
