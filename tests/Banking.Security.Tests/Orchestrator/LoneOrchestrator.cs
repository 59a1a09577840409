using System.Text;
using System.Text.Json;
using Banking.Testing;
using MySqlConnector;
using RabbitMQ.Client;

namespace Banking.Security.Tests.Orchestrator;

/// <summary>
/// A real orchestrator process on its own bank_core database and virtual host, with no ledger service running: a
/// transfer submitted to it waits in Debiting for as long as the spec needs a transfer in flight.
/// </summary>
public sealed class LoneOrchestrator : IAsyncDisposable
{
    /// <summary>A random HS256 key for Production runs, where the development key of appsettings.Development.json is absent.</summary>
    public static readonly string ProductionSigningKey = "spec-production-key-" + Convert.ToHexString(Guid.NewGuid().ToByteArray()) + Convert.ToHexString(Guid.NewGuid().ToByteArray());

    private LoneOrchestrator(string environment, string core, Uri broker, ServiceProcess process)
    {
        Environment = environment;
        Core = core;
        Broker = broker;
        Process = process;
    }

    public string Environment { get; }
    public string Core { get; }
    public Uri Broker { get; }
    public ServiceProcess Process { get; }
    public Uri BaseAddress => Process.BaseAddress;

    /// <summary>The key tokens for this orchestrator are signed with.</summary>
    public string SigningKey => Environment == "Production" ? ProductionSigningKey : TestTokens.DevelopmentSigningKey;

    public string Token(string role, string name = "spec.user", TimeSpan? lifetime = null) => TestTokens.Issue(role, name, signingKey: SigningKey, lifetime: lifetime);

    /// <param name="brokerAddress">What the service is told the broker is (a proxy in front of <paramref name="name"/>'s virtual host); the spec's own messages go straight to the broker.</param>
    public static async Task<LoneOrchestrator> StartAsync(string name, string environment = "Development", IDictionary<string, string>? settings = null,
        Func<Uri, Uri>? brokerAddress = null, bool waitUntilReady = true)
    {
        var servers = await RealServers.GetAsync();
        var core = await servers.CreateDatabaseAsync(1, $"{name}_core");
        var broker = await servers.CreateVirtualHostAsync(name);
        var variables = new Dictionary<string, string>
        {
            ["ConnectionStrings__Core"] = core,
            ["ConnectionStrings__RabbitMq"] = (brokerAddress?.Invoke(broker) ?? broker).ToString(),
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["DOTNET_ENVIRONMENT"] = environment,
            ["Transfers__StepTimeout"] = "00:00:30",
            // The spec's virtual host has one login; the operator commands this orchestrator publishes carry it.
            ["Transfers__OperatorCommandSender"] = TransferPlatform.BrokerUserOf(broker),
            ["Transfers__GatewaySender"] = TransferPlatform.BrokerUserOf(broker),
        };
        if (environment == "Production") variables["Jwt__SigningKey"] = ProductionSigningKey;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) variables[key] = value;

        var process = new ServiceProcess("Banking.Orchestrator", variables);
        var orchestrator = new LoneOrchestrator(environment, core, broker, process);
        if (waitUntilReady) await process.StartAsync();
        return orchestrator;
    }

    /// <summary>A transfer request as an upstream system publishes it; with no DebitService it stays in Debiting.</summary>
    public Task SubmitAsync(string transferId, decimal amount = 10.00m) =>
        PublishAsync(TransferPlatform.TransferRequestsQueue, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["transfer_id"] = transferId,
            ["from_account"] = "6222000000000001",
            ["to_account"] = "6222000000000002",
            ["amount"] = amount,
            ["currency"] = "CNY",
            ["description"] = "security spec",
            ["requested_by"] = "specs",
        }), Guid.NewGuid());

    public async Task PublishAsync(string queue, string json, Guid? messageId, string contentType = "application/json")
    {
        var factory = new ConnectionFactory { Uri = Broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = contentType, DeliveryMode = DeliveryModes.Persistent };
        if (messageId is { } id) properties.MessageId = id.ToString();
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes(json));
    }

    public async Task<string?> StateAsync(string transferId)
    {
        await using var connection = new MySqlConnection(Core);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT current_state FROM transfer_log WHERE transfer_id = @id", connection);
        command.Parameters.AddWithValue("@id", transferId);
        return await command.ExecuteScalarAsync() as string;
    }

    public async Task<long> CountAsync(string sql, string transferId)
    {
        await using var connection = new MySqlConnection(Core);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddWithValue("@id", transferId);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    /// <summary>Operator actions recorded in the transfer's timeline (OperatorRetry, AbortRequested).</summary>
    /// <summary>The deadline of the transfer's current step, as the saga stored it (UTC).</summary>
    public async Task<DateTime> StepDeadlineAsync(string transferId)
    {
        await using var connection = new MySqlConnection(Core);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT next_attempt_at FROM transfer_log WHERE transfer_id = @id", connection);
        command.Parameters.AddWithValue("@id", transferId);
        return DateTime.SpecifyKind((DateTime)(await command.ExecuteScalarAsync())!, DateTimeKind.Utc);
    }

    public Task<long> OperatorActionsAsync(string transferId) =>
        CountAsync("SELECT COUNT(*) FROM transfer_event WHERE transfer_id = @id AND event_type IN ('OperatorRetry', 'AbortRequested')", transferId);

    public async Task<string> InFlightTransferAsync(string prefix)
    {
        var id = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 50)];
        await SubmitAsync(id);
        await Eventually.HoldsAsync(async () => await StateAsync(id) == "Debiting", $"transfer {id} in Debiting");
        return id;
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
