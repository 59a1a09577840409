using Banking.Ledger.Data;
using Banking.Messaging.Groups;
using Banking.Messaging.Outbox;
using Banking.ServiceDefaults;
using MassTransit;
using MassTransit.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Banking.Ledger.Commands;

/// <summary>
/// Where a ledger command is made durable: the command queue (<c>debit-ledger</c> / <c>credit-ledger</c>) checks the
/// sender, retries, and runs every consumer on it behind the transactional outbox and inbox.
/// This is the endpoint's definition, not a consumer's: several consumers share the queue, and MassTransit applies a
/// consumer definition once per consumer, but these filters once per endpoint, so every command passes each of them
/// exactly once, whichever consumer takes it.
/// </summary>
public sealed class LedgerCommandEndpointDefinition(LedgerQueues queues) : IEndpointDefinition<LedgerCommandEndpointDefinition>
{
    /// <summary>
    /// Registered as the definition of the endpoint named <see cref="LedgerQueues.Commands"/>: MassTransit then uses it
    /// for that endpoint instead of combining the endpoint settings of the consumers on it.
    /// </summary>
    public static void Register(IBusRegistrationConfigurator bus) =>
        bus.AddEndpoint<LedgerCommandEndpointDefinition, LedgerCommandEndpointDefinition>(new Registration());

    public string GetEndpointName(IEndpointNameFormatter formatter) => queues.Commands;

    public bool IsTemporary => false;

    // Unset, as for every endpoint of the bank: the bus's bounded prefetch applies and MassTransit derives the rest.
    public int? PrefetchCount => null;

    public int? ConcurrentMessageLimit => null;

    public bool ConfigureConsumeTopology => true;

    public void Configure<T>(T endpoint, IRegistrationContext? context = null)
        where T : IReceiveEndpointConfigurator
    {
        if (context is null) throw new InvalidOperationException($"{nameof(LedgerCommandEndpointDefinition)} needs the bus registration context (configure it through ConfigureEndpoints)");

        // First, ahead of retries, the inbox and the outbox: a command from anyone but the orchestrator never
        // reaches a consumer. The query queue is not guarded: queries move nothing and are open to requesters.
        endpoint.UseFilter(BrokerSenderFilter.For(
            CommandSenderRules.For(context.GetRequiredService<IOptions<LedgerOptions>>().Value.CommandSender),
            context));

        // Deadlocks and lock timeouts under contention are retried within the outbox's transaction already;
        // this covers everything else that may pass, such as a broker hiccup while delivering the replies.
        endpoint.UseMessageRetry(retry =>
        {
            retry.Ignore<BrokerSenderRefusedException>();
            retry.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
        });
        // Every command consumer moves money through LedgerOperations, which writes through the group.
        endpoint.UseTransactionalOutbox<LedgerDbContext>(context, consumerWrites: ConsumerWrites.ThroughGroupOnly);
    }

    // MassTransit keys an endpoint registration by a type; the definition is its own key.
    private sealed class Registration : IRegistration
    {
        public Type Type => typeof(LedgerCommandEndpointDefinition);

        public bool IncludeInConfigureEndpoints { get; set; } = true;
    }
}
