using Banking.Contracts;
using Banking.Contracts.Audit;
using Banking.Messaging.Audit;
using Banking.Messaging.Groups;
using Banking.Messaging.Outbox;
using Banking.Orchestrator.Data;
using Banking.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Audit;

/// <summary>
/// The gateway's reads, appended to <c>bank_core</c>'s audit trail on the chain of <c>audit-reads</c>: a group of
/// batches in one transaction, and the inbox makes a redelivered batch count once.
/// </summary>
public sealed class ReadsAuditedConsumer(GroupMembership membership) : IConsumer<ReadsAudited>
{
    public Task Consume(ConsumeContext<ReadsAudited> context)
    {
        var group = membership.Current ?? throw new InvalidOperationException("audited reads are appended through the group commit of audit-reads");
        group.Participant(g => new GroupAuditTrail(g)).AddRange(context.Message.Reads.Select(read =>
            new AuditEntry(read.Action, read.Actor, read.Subject, read.Details, read.SourceAddress, read.ReadAtUtc)));
        return Task.CompletedTask;
    }
}

/// <summary><c>audit-reads</c>: only the gateway's login is believed; behind the inbox and the group commit like the saga.</summary>
public sealed class ReadsAuditedConsumerDefinition : ConsumerDefinition<ReadsAuditedConsumer>
{
    public static readonly EventId ReadsRefused = new(4033, "AuditedReadsSenderRefused");

    public ReadsAuditedConsumerDefinition() => EndpointName = Endpoints.AuditedReads;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReadsAuditedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // The gateway sends straight to the queue: no message-type exchange to bind.
        endpointConfigurator.ConfigureConsumeTopology = false;
        endpointConfigurator.UseFilter(BrokerSenderFilter.For(
            new BrokerSenderRules("audited reads", ReadsRefused).Require<ReadsAudited>(context.GetRequiredService<IOptions<TransferOptions>>().Value.GatewaySender, _ => null),
            context));
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Ignore<BrokerSenderRefusedException>();
            retry.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
        });
        endpointConfigurator.UseTransactionalOutbox<CoreDbContext>(context, consumerWrites: ConsumerWrites.ThroughGroupOnly);
    }
}
