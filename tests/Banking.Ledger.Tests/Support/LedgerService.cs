using System.Text;
using System.Text.Json;
using Banking.Testing;
using RabbitMQ.Client;

namespace Banking.Ledger.Tests.Support;

/// <summary>
/// DebitService or CreditService as real processes on a fresh ledger database and a fresh virtual host, with a
/// recorder for their replies. The schema is migrated before the first start, so tests can open accounts first.
/// </summary>
public sealed class LedgerService : IAsyncDisposable
{
    private readonly Dictionary<string, string> environment;
    private readonly List<ServiceProcess> processes = [];

    private LedgerService(string project, ScratchLedger ledger, Uri broker, LedgerReplies replies)
    {
        Project = project;
        Ledger = ledger;
        Broker = broker;
        Replies = replies;
        environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Ledger"] = ledger.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = broker.ToString(),
            ["Ledger__SeedDemoAccounts"] = "false",
            // The specs send commands as the orchestrator would, under the fixture's own broker login.
            ["Ledger__CommandSender"] = TransferPlatform.BrokerUserOf(broker),
            ["Service__Name"] = project,
        };
    }

    public string Project { get; }
    public ScratchLedger Ledger { get; }
    public Uri Broker { get; }
    public LedgerReplies Replies { get; }
    public IReadOnlyList<ServiceProcess> Processes => processes;
    public ServiceProcess Process => processes[0];

    public static Task<LedgerService> DebitAsync(string name, int instances = 1) => StartAsync("Banking.DebitService", 1, name, instances);

    public static Task<LedgerService> CreditAsync(string name, int instances = 1) => StartAsync("Banking.CreditService", 2, name, instances);

    private static async Task<LedgerService> StartAsync(string project, int server, string name, int instances)
    {
        var servers = await RealServers.GetAsync();
        var ledger = await ScratchLedger.CreateAsync(name, server);
        var broker = await servers.CreateVirtualHostAsync(name.Replace('_', '-'));
        var service = new LedgerService(project, ledger, broker, await LedgerReplies.StartAsync(broker));
        for (var i = 0; i < instances; i++) service.processes.Add(new ServiceProcess(project, service.environment));
        await Task.WhenAll(service.processes.Select(p => p.StartAsync()));
        return service;
    }

    /// <summary>The inbox's receive count for a message (0 when it never arrived): it grows with every delivery the service takes.</summary>
    public async Task<long> ReceiveCountAsync(Guid messageId) =>
        await Ledger.CountAsync("inbox_state", "message_id = @m", ("@m", messageId.ToString())) == 0
            ? 0
            : await Ledger.ScalarAsync<long>("SELECT receive_count FROM inbox_state WHERE message_id = @m", ("@m", messageId.ToString()));

    /// <summary>
    /// A MassTransit envelope as another system's client would put it on the queue: plain AMQP, persistent,
    /// confirmed. Without <paramref name="messageId"/> neither the envelope nor the AMQP properties carry one.
    /// </summary>
    public static byte[] Envelope(string messageType, object message, Guid? messageId)
    {
        var envelope = new Dictionary<string, object?>
        {
            ["messageType"] = new[] { $"urn:message:Banking.Contracts.Ledger:{messageType}" },
            ["message"] = message,
            ["sentTime"] = DateTime.UtcNow,
            ["headers"] = new Dictionary<string, object>(),
        };
        if (messageId is { } id) envelope["messageId"] = id.ToString();
        return JsonSerializer.SerializeToUtf8Bytes(envelope, new JsonSerializerOptions(JsonSerializerDefaults.Web));
    }

    /// <summary>Publishes <paramref name="body"/> to <paramref name="queue"/> from a connection of its own.</summary>
    public async Task PublishRawAsync(string queue, byte[] body, Guid? messageId)
    {
        var factory = new ConnectionFactory { Uri = Broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties
        {
            ContentType = "application/vnd.masstransit+json",
            DeliveryMode = DeliveryModes.Persistent,
            UserId = TransferPlatform.BrokerUserOf(Broker),
        };
        if (messageId is { } id) properties.MessageId = id.ToString();
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
    }

    /// <summary>Messages ready in a queue (0 when it does not exist).</summary>
    public async Task<uint> ReadyMessagesAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = Broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>The first message of a queue, left in place: its headers (MassTransit's fault headers on an _error queue).</summary>
    public async Task<IReadOnlyDictionary<string, string>> PeekHeadersAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = Broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var result = await channel.BasicGetAsync(queue, autoAck: false) ?? throw new InvalidOperationException($"{queue} is empty");
        var headers = (result.BasicProperties.Headers ?? new Dictionary<string, object?>())
            .ToDictionary(h => h.Key, h => h.Value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), null => "", var v => v.ToString() ?? "" });
        await channel.BasicNackAsync(result.DeliveryTag, multiple: false, requeue: true);
        return headers;
    }

    public ServiceProcess AddProcess()
    {
        var process = new ServiceProcess(Project, environment);
        processes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in processes) await process.DisposeAsync();
        await Replies.DisposeAsync();
    }
}
