using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Contracts.Transfers;
using Banking.Messaging.Groups;
using Banking.Messaging.Outbox;
using Banking.Orchestrator.Data;
using Banking.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.StateMachines;

/// <summary>The saga's endpoint, <c>transfer-state</c>, and how a message there is made durable.</summary>
public sealed class TransferStateDefinition : SagaDefinition<TransferState>
{
    public TransferStateDefinition() => EndpointName = Endpoints.TransferSaga;

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<TransferState> sagaConfigurator, IRegistrationContext context)
    {
        // First, ahead of retries and the outbox: a ledger reply from anyone but that ledger's login, or an operator command
        // from anyone but this service, never reaches the saga.
        endpointConfigurator.UseFilter(BrokerSenderFilter.For(
            SenderRules(context.GetRequiredService<IOptions<TransferOptions>>().Value),
            context));

        // Two first events for one transfer may both find no row; the loser's insert fails on the unique key and its
        // retry loads the row the winner created.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Ignore<BrokerSenderRefusedException>();
            retry.Exponential(8, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
        });
        // The saga row, its timeline, the inbox row and the steps it sends commit in one transaction; the saga
        // repository writes them through the group, never through the CoreDbContext.
        endpointConfigurator.UseTransactionalOutbox<CoreDbContext>(context, consumerWrites: ConsumerWrites.ThroughGroupOnly);
    }

    public static readonly EventId SagaMessageRefused = new(4032, "TransferSagaMessageSenderRefused");

    /// <summary>
    /// A ledger's answer moves the saga (a forged AccountCredited would complete a transfer never credited), so each is
    /// believed only from the ledger that gives it, and an operator command only from this service's own login.
    /// Requests and timeouts keep their own guards.
    /// </summary>
    public static BrokerSenderRules SenderRules(TransferOptions options) =>
        new BrokerSenderRules("saga message", SagaMessageRefused)
            .Require<AccountDebited>(options.DebitLedgerSender, m => m.TransferId)
            .Require<DebitRejected>(options.DebitLedgerSender, m => m.TransferId)
            .Require<DebitReversed>(options.DebitLedgerSender, m => m.TransferId)
            .Require<DebitCancelled>(options.DebitLedgerSender, m => m.TransferId)
            .Require<AccountCredited>(options.CreditLedgerSender, m => m.TransferId)
            .Require<CreditRejected>(options.CreditLedgerSender, m => m.TransferId)
            .Require<CreditCancelled>(options.CreditLedgerSender, m => m.TransferId)
            // Operator commands come only from this service's operator API and dashboard, which checked who asked; a
            // forged approval would otherwise be the second pair of eyes.
            .Require<RetryTransfer>(options.OperatorCommandSender, m => m.TransferId)
            .Require<AbortTransfer>(options.OperatorCommandSender, m => m.TransferId)
            .Require<ApproveOperatorAction>(options.OperatorCommandSender, m => m.TransferId)
            .Require<RejectOperatorAction>(options.OperatorCommandSender, m => m.TransferId);
}
