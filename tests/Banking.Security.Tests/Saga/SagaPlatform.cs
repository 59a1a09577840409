using System.Text;
using System.Text.Json;
using Banking.Testing;
using RabbitMQ.Client;

namespace Banking.Security.Tests.Saga;

/// <summary>
/// One real platform (orchestrator and both ledgers) shared by the saga specs that do not stop services, so the two
/// cores are not spent starting a platform per fixture. Each spec opens its own accounts.
/// </summary>
[SetUpFixture]
public sealed class SagaPlatform
{
    private static Lazy<Task<TransferPlatform>>? shared;
    private static int nextAccount;

    public static Task<TransferPlatform> GetAsync() => (shared ??= new Lazy<Task<TransferPlatform>>(() => TransferPlatform.StartAsync("sec-saga"))).Value;

    [OneTimeTearDown]
    public async Task StopShared()
    {
        if (shared is not null) await (await shared.Value).DisposeAsync();
        shared = null;
    }

    /// <summary>A fresh account in one ledger: (internal key, account number).</summary>
    public static async Task<string> OpenAccountAsync(TransferPlatform platform, int database, decimal balance, string currency = "CNY")
    {
        var n = Interlocked.Increment(ref nextAccount);
        var key = 900_000 + database * 10_000 + n;
        var accountNo = $"62307{Random.Shared.NextInt64(1_000_000_000, 9_999_999_999)}{n:D4}";
        await platform.CreateAccountAsync(database, key, accountNo, balance, currency: currency);
        return accountNo;
    }

    public static string NewTransferId(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..32];

    public static Task<long> CountAsync(string connectionString, string sql, string parameter) =>
        TransferPlatform.ScalarAsync<long>(connectionString, sql, parameter);
}

/// <summary>
/// What the platform tells senders, as an upstream system sees it: a queue of our own bound to the outcome exchanges
/// (MassTransit's per-type fanout exchanges), read with RabbitMQ's own client.
/// </summary>
public sealed class OutcomeListener : IAsyncDisposable
{
    public static readonly string[] OutcomeTypes = ["TransferCompleted", "TransferFailed", "TransferRolledBack", "TransferRequestConflicted"];

    private readonly IConnection connection;
    private readonly IChannel channel;
    private readonly string queue;
    private readonly List<(string Type, JsonElement Message)> received = [];

    private OutcomeListener(IConnection connection, IChannel channel, string queue)
    {
        this.connection = connection;
        this.channel = channel;
        this.queue = queue;
    }

    public static async Task<OutcomeListener> StartAsync(Uri broker)
    {
        var connection = await new ConnectionFactory { Uri = broker }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        var queue = $"spec-outcomes-{Guid.NewGuid():N}";
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true);
        foreach (var type in OutcomeTypes)
        {
            var exchange = $"Banking.Contracts.Transfers:{type}";
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            await channel.QueueBindAsync(queue, exchange, "");
        }

        return new OutcomeListener(connection, channel, queue);
    }

    /// <summary>Every outcome received so far for <paramref name="transferId"/>, as (short type name, message).</summary>
    public async Task<IReadOnlyList<(string Type, JsonElement Message)>> ForAsync(string transferId)
    {
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
        {
            using var envelope = JsonDocument.Parse(Encoding.UTF8.GetString(delivery.Body.Span));
            var type = envelope.RootElement.GetProperty("messageType")[0].GetString()!.Split(':').Last();
            received.Add((type, envelope.RootElement.GetProperty("message").Clone()));
        }

        return [.. received.Where(r => r.Message.TryGetProperty("transferId", out var id) && id.GetString() == transferId)];
    }

    public async Task<(string Type, JsonElement Message)> WaitForAsync(string transferId, string type)
    {
        (string, JsonElement)? found = null;
        await Eventually.HoldsAsync(async () =>
        {
            found = (await ForAsync(transferId)).Cast<(string, JsonElement)?>().FirstOrDefault(o => o!.Value.Item1 == type);
            return found is not null;
        }, $"{type} for {transferId}", TimeSpan.FromSeconds(30), async () => string.Join(", ", (await ForAsync(transferId)).Select(o => o.Type)));
        return found!.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}
