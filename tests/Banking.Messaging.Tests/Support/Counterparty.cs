using System.Collections.Concurrent;
using Banking.ServiceDefaults;
using MassTransit;

namespace Banking.Messaging.Tests.Support;

/// <summary>
/// The other side of the specs: a plain bus (no outbox) that sends the commands, with chosen message ids, and
/// records every event the nodes publish, as it arrives on the broker.
/// </summary>
public sealed class Counterparty : IAsyncDisposable
{
    private readonly ConcurrentQueue<Observed> observed = new();
    private IBusControl bus = null!;

    public sealed record Observed(string Type, string Key, Guid MessageId, DateTime ReceivedUtc, object Message);

    public static async Task<Counterparty> StartAsync(Uri broker, string queue)
    {
        DisableUsageTelemetry();
        var counterparty = new Counterparty();
        var address = RabbitMqAddress.Parse(broker.ToString());
        counterparty.bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(address.Host, address.Port, address.VirtualHost, "messaging-specs-counterparty", h =>
            {
                h.Username(address.Username);
                h.Password(address.Password);
                h.PublisherConfirmation = true;
            });
            cfg.ReceiveEndpoint(queue, e =>
            {
                e.PrefetchCount = 64;
                counterparty.Record<NoteRecorded>(e, m => m.Reference);
                counterparty.Record<BatchTotalChanged>(e, m => m.BatchId.ToString());
            });
        });
        await counterparty.bus.StartAsync();
        return counterparty;
    }

    public IReadOnlyList<Observed> Of<T>(string key) => [.. observed.Where(o => o.Type == typeof(T).Name && o.Key == key)];

    public IReadOnlyList<Observed> All<T>() => [.. observed.Where(o => o.Type == typeof(T).Name)];

    public async Task SendAsync<T>(string queue, T message, Guid messageId)
        where T : class
    {
        // Through the queue's exchange, as the services send: the queue is its consumer's to declare (a quorum queue).
        var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{queue}"));
        await endpoint.Send(message, context => context.MessageId = messageId);
    }

    public async Task PublishAsync<T>(T message, Guid messageId)
        where T : class =>
        await bus.Publish(message, context => context.MessageId = messageId);

    private void Record<T>(IReceiveEndpointConfigurator endpoint, Func<T, string> key)
        where T : class =>
        endpoint.Handler<T>(context =>
        {
            observed.Enqueue(new Observed(typeof(T).Name, key(context.Message), context.MessageId ?? Guid.Empty, DateTime.UtcNow, context.Message));
            return Task.CompletedTask;
        });

    // The bank's services never report usage to MassTransit's host; neither do the specs.
    private static void DisableUsageTelemetry() => Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");

    public async ValueTask DisposeAsync() => await bus.StopAsync();
}
