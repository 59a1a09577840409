using System.Collections.Concurrent;
using Banking.Contracts.Accounts;
using Banking.Contracts.Ledger;
using Banking.ServiceDefaults;
using MassTransit;

namespace Banking.Ledger.Tests.Support;

/// <summary>One event a ledger service published, as it arrived (a broker-level duplicate arrives twice with one message id).</summary>
public sealed record Reply(string Type, string TransferId, Guid MessageId, object Message);

/// <summary>
/// A bus of our own on the service's virtual host: it sends the ledger commands with chosen message ids and records
/// every reply event the ledger services publish (they publish rather than respond, so a queue bound to the
/// event types sees them all).
/// </summary>
public sealed class LedgerReplies : IAsyncDisposable
{
    private readonly ConcurrentQueue<Reply> replies = new();
    private IBusControl bus = null!;

    public IReadOnlyCollection<Reply> All => replies;

    public static async Task<LedgerReplies> StartAsync(Uri broker)
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        var recorder = new LedgerReplies();
        var address = RabbitMqAddress.Parse(broker.ToString());
        recorder.bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(address.Host, address.Port, address.VirtualHost, "ledger-specs", host =>
            {
                host.Username(address.Username);
                host.Password(address.Password);
                host.PublisherConfirmation = true;
            });
            cfg.StampBrokerUser(address.Username);
            cfg.ReceiveEndpoint("spec-ledger-replies", e =>
            {
                e.PrefetchCount = 128;
                recorder.Record<AccountDebited>(e, m => m.TransferId);
                recorder.Record<DebitRejected>(e, m => m.TransferId);
                recorder.Record<DebitReversed>(e, m => m.TransferId);
                recorder.Record<DebitCancelled>(e, m => m.TransferId);
                recorder.Record<AccountCredited>(e, m => m.TransferId);
                recorder.Record<CreditRejected>(e, m => m.TransferId);
                recorder.Record<CreditCancelled>(e, m => m.TransferId);
            });
        });
        await recorder.bus.StartAsync();
        return recorder;
    }

    public IReadOnlyList<Reply> For(string transferId) => [.. replies.Where(r => r.TransferId == transferId)];

    public IReadOnlyList<Reply> For(string transferId, string type) => [.. replies.Where(r => r.TransferId == transferId && r.Type == type)];

    public async Task SendAsync<T>(string queue, T message, Guid messageId)
        where T : class
    {
        // Through the queue's exchange, as the services send: the queue is its consumer's to declare (a quorum queue).
        var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{queue}"));
        await endpoint.Send(message, context => context.MessageId = messageId);
    }

    private void Record<T>(IReceiveEndpointConfigurator endpoint, Func<T, string> transferId)
        where T : class =>
        endpoint.Handler<T>(context =>
        {
            replies.Enqueue(new Reply(typeof(T).Name, transferId(context.Message), context.MessageId ?? Guid.Empty, context.Message));
            return Task.CompletedTask;
        });

    public async ValueTask DisposeAsync() => await bus.StopAsync();
}
