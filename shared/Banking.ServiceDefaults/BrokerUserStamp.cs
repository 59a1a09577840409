using MassTransit;

namespace Banking.ServiceDefaults;

/// <summary>
/// Stamps the AMQP <c>user_id</c> property with the bus's own broker login on everything it sends or publishes,
/// replies and outbox deliveries included. RabbitMQ refuses a <c>user_id</c> that is not the connection's login, so
/// a receiver can trust it as the sender's identity (the ledgers accept commands only from the orchestrator's login).
/// </summary>
public sealed class BrokerUserStamp(string brokerUser) : IFilter<SendContext>, IFilter<PublishContext>
{
    public string BrokerUser { get; } = string.IsNullOrEmpty(brokerUser)
        ? throw new ArgumentException("the broker login is required to stamp user_id", nameof(brokerUser))
        : brokerUser;

    public Task Send(SendContext context, IPipe<SendContext> next)
    {
        Stamp(context);
        return next.Send(context);
    }

    public Task Send(PublishContext context, IPipe<PublishContext> next)
    {
        Stamp(context);
        return next.Send(context);
    }

    private void Stamp(PipeContext context)
    {
        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit)) rabbit.BasicProperties.UserId = BrokerUser;
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("brokerUserStamp").Add("user", BrokerUser);
}

public static class BrokerUserStampExtensions
{
    /// <summary>Every message this bus sends or publishes carries <paramref name="brokerUser"/> (its connection's login) as <c>user_id</c>.</summary>
    public static void StampBrokerUser(this IRabbitMqBusFactoryConfigurator cfg, string brokerUser)
    {
        var stamp = new BrokerUserStamp(brokerUser);
        cfg.ConfigureSend(send => send.UseFilter(stamp));
        cfg.ConfigurePublish(publish => publish.UseFilter(stamp));
    }
}
