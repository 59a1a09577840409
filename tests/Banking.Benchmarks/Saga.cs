using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Banking.Testing;
using MySqlConnector;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Banking.Benchmarks;

/// <summary>
/// The saga's final events (TransferCompleted, TransferFailed, TransferRolledBack) as they leave the orchestrator:
/// a private queue bound to their exchanges, so "final" is when the outcome is published, seen with this process's clock.
/// </summary>
public sealed class OutcomeListener : IAsyncDisposable
{
    public static readonly string[] FinalEvents = ["TransferCompleted", "TransferFailed", "TransferRolledBack"];

    private readonly ConcurrentDictionary<string, TaskCompletionSource<Final>> waiters = new(StringComparer.Ordinal);
    private IConnection connection = null!;
    private IChannel channel = null!;

    public readonly record struct Final(long At, DateTime AtUtc, string Event, string? ReasonCode);

    public static async Task<OutcomeListener> StartAsync(Uri broker)
    {
        var listener = new OutcomeListener();
        listener.connection = await new ConnectionFactory { Uri = broker, ClientProvidedName = "benchmark-outcomes" }.CreateConnectionAsync();
        listener.channel = await listener.connection.CreateChannelAsync();
        var queue = await listener.channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        foreach (var type in FinalEvents)
        {
            // The exchange MassTransit publishes the event to (declared the way MassTransit declares it).
            var exchange = "Banking.Contracts.Transfers:" + type;
            await listener.channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            await listener.channel.QueueBindAsync(queue.QueueName, exchange, "");
        }

        var consumer = new AsyncEventingBasicConsumer(listener.channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var at = Stopwatch.GetTimestamp();
            listener.Deliver(at, delivery.Exchange, delivery.Body.Span);
            return Task.CompletedTask;
        };
        await listener.channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return listener;
    }

    public Task<Final> Register(string transferId)
    {
        var source = new TaskCompletionSource<Final>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiters[transferId] = source;
        return source.Task;
    }

    public void Forget(string transferId) => waiters.TryRemove(transferId, out _);

    private void Deliver(long at, string exchange, ReadOnlySpan<byte> body)
    {
        using var envelope = JsonDocument.Parse(body.ToArray());
        if (!envelope.RootElement.TryGetProperty("message", out var message)) return;
        string? Text(string name) => message.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var transferId = Text("transferId");
        if (transferId is null || !waiters.TryRemove(transferId, out var waiter)) return;
        waiter.TrySetResult(new Final(at, DateTime.UtcNow, exchange[(exchange.IndexOf(':') + 1)..], Text("reasonCode")));
    }

    /// <summary>Turns a final event into an outcome: success, or the failure's reason as the error.</summary>
    public static Outcome ToOutcome(long? acceptedAt, Final final) => final.Event == "TransferCompleted"
        ? new Outcome(acceptedAt, final.At, null)
        : new Outcome(acceptedAt, null, $"{final.Event}:{final.ReasonCode}");

    public async ValueTask DisposeAsync()
    {
        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}

/// <summary>Counts the rows of the outbox_message tables of the core and both ledgers.</summary>
public static class Outbox
{
    public static async Task<long?> BacklogAsync(TransferPlatform platform)
    {
        long total = 0;
        foreach (var database in new[] { platform.Core, platform.Db1, platform.Db2 })
            total += await TransferPlatform.ScalarAsync<long>(database, "SELECT COUNT(*) FROM outbox_message", "");
        return total;
    }

    /// <summary>Messages ready or unacknowledged in all queues of the platform's virtual host.</summary>
    public static async Task<long?> QueuedAsync(TransferPlatform platform)
    {
        using var http = platform.Servers.ManagementClient();
        var vhost = Uri.EscapeDataString(Uri.UnescapeDataString(platform.Broker.AbsolutePath.TrimStart('/')));
        using var document = JsonDocument.Parse(await http.GetStringAsync($"api/queues/{vhost}?columns=name,messages"));
        return document.RootElement.EnumerateArray().Sum(q => q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0);
    }
}

/// <summary>Part 1: the saga through the gateway's REST API, POST /api/v1/transfer with a bearer token.</summary>
public sealed partial class SagaThroughRest(IReadOnlyList<ServiceProcess> gateways, OutcomeListener outcomes, TransferPlatform platform, int syncWaitMs) : ISystemUnderTest
{
    // One client per gateway; transfers take turns over them, as a load balancer in front of several would spread them.
    private readonly HttpClient[] clients = [.. gateways.Select(gateway => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
    {
        BaseAddress = gateway.BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("channel", "benchmark", lifetime: TimeSpan.FromHours(12))) },
    })];

    private int turn;

    public string Name => "saga-rest";

    public string Description => $"Saga through REST: POST /api/v1/transfer (Gateway:SyncWaitMs={syncWaitMs}), final = the orchestrator's final event";

    public async Task<Outcome> RunAsync(TransferSpec transfer, CancellationToken giveUp)
    {
        var final = outcomes.Register(transfer.Id);
        try
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["from_account"] = transfer.From,
                ["to_account"] = transfer.To,
                ["amount"] = transfer.Amount,
                ["currency"] = "CNY",
                ["description"] = "benchmark",
                ["reference"] = transfer.Id,
            });
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            var http = clients[(int)((uint)Interlocked.Increment(ref turn) % (uint)clients.Length)];
            using var response = await http.PostAsync("/api/v1/transfer", content, giveUp);
            var accepted = Stopwatch.GetTimestamp();
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    return new Outcome(accepted, accepted, null);
                case HttpStatusCode.Accepted:
                    return OutcomeListener.ToOutcome(accepted, await final.WaitAsync(giveUp));
                default:
                    var text = await response.Content.ReadAsStringAsync(giveUp);
                    var code = ErrorCode().Match(text) is { Success: true } match ? match.Groups[1].Value : "?";
                    return new Outcome(accepted, null, $"HTTP {(int)response.StatusCode} {code}");
            }
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            return Outcome.Failed("TIMEOUT");
        }
        catch (HttpRequestException e)
        {
            return Outcome.Failed($"HTTP_EXCEPTION {e.HttpRequestError}");
        }
        finally
        {
            outcomes.Forget(transfer.Id);
        }
    }

    public Task<long?> OutboxBacklogAsync() => Outbox.BacklogAsync(platform);

    public Task<long?> QueuedAsync() => Outbox.QueuedAsync(platform);

    public ValueTask DisposeAsync()
    {
        foreach (var http in clients) http.Dispose();
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex("\"code\"\\s*:\\s*\"([A-Za-z_]+)\"")]
    private static partial Regex ErrorCode();
}

/// <summary>Part 2: the saga fed as upstream systems feed it: raw JSON on <c>transfer-requests</c>, persistent, confirmed.</summary>
public sealed class SagaThroughRabbitMq : ISystemUnderTest
{
    private readonly OutcomeListener outcomes;
    private readonly TransferPlatform platform;
    private readonly IConnection connection;
    private readonly System.Threading.Channels.Channel<IChannel> channels = System.Threading.Channels.Channel.CreateUnbounded<IChannel>();
    private readonly List<IChannel> all = [];

    private SagaThroughRabbitMq(OutcomeListener outcomes, TransferPlatform platform, IConnection connection)
    {
        this.outcomes = outcomes;
        this.platform = platform;
        this.connection = connection;
    }

    public static async Task<SagaThroughRabbitMq> StartAsync(OutcomeListener outcomes, TransferPlatform platform, int channelCount = 16)
    {
        var connection = await new ConnectionFactory { Uri = platform.Broker, ClientProvidedName = "benchmark-publisher" }.CreateConnectionAsync();
        var sut = new SagaThroughRabbitMq(outcomes, platform, connection);
        for (var i = 0; i < channelCount; i++)
        {
            var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            sut.all.Add(channel);
            sut.channels.Writer.TryWrite(channel);
        }

        return sut;
    }

    public string Name => "saga-mq";

    public string Description => "Saga through RabbitMQ: raw JSON published to transfer-requests with a message id and a broker confirm";

    public async Task<Outcome> RunAsync(TransferSpec transfer, CancellationToken giveUp)
    {
        var final = outcomes.Register(transfer.Id);
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["transfer_id"] = transfer.Id,
                ["from_account"] = transfer.From,
                ["to_account"] = transfer.To,
                ["amount"] = transfer.Amount,
                ["currency"] = "CNY",
                ["description"] = "benchmark",
                ["requested_by"] = "benchmark",
            });
            var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString() };
            var channel = await channels.Reader.ReadAsync(giveUp);
            try
            {
                // With confirmation tracking on, this returns once the broker has the message.
                await channel.BasicPublishAsync("", TransferPlatform.TransferRequestsQueue, mandatory: true, properties, body, giveUp);
            }
            finally
            {
                channels.Writer.TryWrite(channel);
            }

            var accepted = Stopwatch.GetTimestamp();
            return OutcomeListener.ToOutcome(accepted, await final.WaitAsync(giveUp));
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            return Outcome.Failed("TIMEOUT");
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.RabbitMQClientException or RabbitMQ.Client.Exceptions.OperationInterruptedException or IOException)
        {
            return Outcome.Failed("PUBLISH " + e.GetType().Name);
        }
        finally
        {
            outcomes.Forget(transfer.Id);
        }
    }

    public Task<long?> OutboxBacklogAsync() => Outbox.BacklogAsync(platform);

    public Task<long?> QueuedAsync() => Outbox.QueuedAsync(platform);

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in all) await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}

/// <summary>
/// Reads MariaDB's global counters (commits, XA, fsyncs) and the CPU time of the processes that do the work, so
/// that a step can report them per transfer: where the time goes.
/// </summary>
public static class ServerCounters
{
    /// <summary>
    /// The run's servers among the processes: each mariadbd by the <c>--port</c> on its command line, RabbitMQ as the
    /// Erlang VM that listens on the broker's port. Other servers on the machine (another run's private ones) are
    /// left out.
    /// </summary>
    /// <summary>The MariaDB servers on <paramref name="mariaDbPorts"/> and the RabbitMQ nodes on <paramref name="brokerPorts"/> (node 1 first) by pid.</summary>
    public static Dictionary<string, int> FindServers(IReadOnlyCollection<int> mariaDbPorts, IReadOnlyList<int> brokerPorts)
    {
        var processIds = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!OperatingSystem.IsLinux()) return processIds;
        var brokerSockets = brokerPorts.Select(ListeningSockets).ToList();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var id)) continue;
            string commandLine;
            try { commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (commandLine.Contains("mariadbd", StringComparison.Ordinal))
            {
                if (int.TryParse(Regex.Match(commandLine, @"--port=(\d+)").Groups[1].Value, out var port) && mariaDbPorts.Contains(port))
                    processIds[$"mariadbd:{port}"] = id;
            }
            else if (commandLine.Contains("beam.smp", StringComparison.Ordinal) && commandLine.Contains("rabbit", StringComparison.Ordinal))
            {
                var node = brokerSockets.FindIndex(sockets => HoldsAny(id, sockets));
                if (node >= 0) processIds[node == 0 ? "rabbitmq" : $"rabbitmq#{node + 1}"] = id;
            }
        }

        return processIds;
    }

    /// <summary>The inodes of the listening TCP sockets on <paramref name="port"/>, from /proc/net/tcp and tcp6.</summary>
    private static HashSet<string> ListeningSockets(int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st ... inode: state 0A is LISTEN, the port is the hex after the colon.
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != "0A") continue;
                if (int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port) inodes.Add(fields[9]);
            }
        }

        return inodes;
    }

    private static bool HoldsAny(int processId, HashSet<string> socketInodes)
    {
        if (socketInodes.Count == 0) return false;
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && socketInodes.Contains(target[8..^1])) return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended, or is not ours to look into.
        }

        return false;
    }

    /// <summary>CPU milliseconds (user + system) of each process so far, from <c>/proc/PID/stat</c>.</summary>
    public static Dictionary<string, long> ReadCpu(IReadOnlyDictionary<string, int> processIds)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!OperatingSystem.IsLinux()) return values;
        var ticksPerSecond = 100.0; // USER_HZ on Linux
        foreach (var (name, id) in processIds)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{id}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // After the command name: field 14 (utime) and 15 (stime) of proc(5) are at index 11 and 12 here.
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                values[$"cpu_ms.{name}"] = (long)(ticks * 1000 / ticksPerSecond);
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
            {
                // The process ended between the listing and the read.
            }
        }

        return values;
    }

    private static readonly string[] Names =
        ["Handler_commit", "Handler_prepare", "Com_commit", "Com_xa_commit", "Innodb_os_log_fsyncs", "Innodb_data_fsyncs", "Binlog_commits", "Questions",
         "Com_select", "Com_insert", "Com_update", "Com_delete"];

    /// <summary>How a server is named in the counters and the report: by its port, as the machine knows it.</summary>
    public static string ServerLabel(string connectionString) => $"mariadb:{new MySqlConnectionStringBuilder(connectionString).Port}";

    public static async Task<Dictionary<string, long>> ReadAsync(string server1, string server2)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var connectionString in new[] { server1, server2 })
        {
            var label = ServerLabel(connectionString);
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new MySqlCommand(
                "SHOW GLOBAL STATUS WHERE Variable_name IN (" + string.Join(",", Names.Select(n => $"'{n}'")) + ")", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (long.TryParse(reader.GetString(1), out var value)) values[$"{label}.{reader.GetString(0)}"] = value;
            }
        }

        return values;
    }
}
