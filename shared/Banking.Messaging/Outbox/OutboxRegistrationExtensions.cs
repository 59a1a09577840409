using Banking.Messaging.Groups;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Banking.Messaging.Outbox;

public static class OutboxRegistrationExtensions
{
    /// <summary>How many of one message's outbox rows are sent before their delivery is recorded.</summary>
    public const int DefaultMessageDeliveryLimit = 100;

    /// <summary>Registers the transactional outbox and inbox for <typeparamref name="TDbContext"/>, and the inbox cleanup.</summary>
    public static IBusRegistrationConfigurator AddTransactionalOutbox<TDbContext>(this IBusRegistrationConfigurator bus)
        where TDbContext : DbContext
    {
        bus.AddScoped<IOutboxContextFactory<TDbContext>, MySqlOutboxContextFactory<TDbContext>>();
        bus.AddOptions<InboxCleanupOptions>().BindConfiguration(InboxCleanupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        bus.AddHostedService<InboxCleanupService<TDbContext>>();
        bus.AddOptions<OutboxBacklogOptions>().BindConfiguration(OutboxBacklogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        bus.TryAddSingleton<OutboxBacklogMonitor<TDbContext>>();
        bus.AddHostedService(services => services.GetRequiredService<OutboxBacklogMonitor<TDbContext>>());
        bus.AddOptions<OutboxStallOptions>().BindConfiguration(OutboxStallOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        bus.TryAddSingleton<OutboxStallWatchdog>();
        bus.AddOptions<GroupCommitOptions>().BindConfiguration(GroupCommitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        bus.TryAddSingleton<GroupCommitMetrics>();
        bus.TryAddSingleton<GroupCommitQueues>();
        bus.TryAddScoped<GroupMembership>();
        return bus;
    }

    /// <summary>
    /// Puts every consumer and saga on this endpoint behind the outbox: what they write and what they send commit in
    /// one transaction, and a redelivered message is acknowledged without a second effect.
    /// </summary>
    /// <param name="consumerWrites">
    /// <see cref="ConsumerWrites.ThroughGroupOnly"/> for endpoints whose consumers write only through the group
    /// (the saga repository, the ledger): their DbContext is then left untouched on the hot path.
    /// </param>
    public static void UseTransactionalOutbox<TDbContext>(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context,
        Action<IOutboxOptionsConfigurator>? configure = null, ConsumerWrites consumerWrites = ConsumerWrites.ThroughDbContext)
        where TDbContext : DbContext
    {
        context.GetRequiredService<GroupCommitQueues>().Declare(endpoint.InputAddress, consumerWrites);
        var observer = new OutboxConsumePipeSpecificationObserver<TDbContext>(endpoint, context)
        {
            // MassTransit's default is one message per transaction; every transaction is a durable flush here, so a
            // message's replies go out together and are marked delivered in one commit.
            MessageDeliveryLimit = DefaultMessageDeliveryLimit,
        };
        configure?.Invoke(observer);

        // Groups form from what is in flight at once: the endpoint takes enough messages for the group size it allows.
        var groups = context.GetRequiredService<Microsoft.Extensions.Options.IOptions<GroupCommitOptions>>().Value;
        endpoint.PrefetchCount = groups.MessagesInFlight;
        endpoint.ConcurrentMessageLimit = groups.MessagesInFlight;
        endpoint.ConnectConsumerConfigurationObserver(observer);
        endpoint.ConnectSagaConfigurationObserver(observer);
    }
}
