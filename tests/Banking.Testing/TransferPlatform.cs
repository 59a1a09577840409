using System.Text;
using System.Text.Json;
using MySqlConnector;
using RabbitMQ.Client;

namespace Banking.Testing;

/// <summary>
/// DebitService, CreditService and the Orchestrator as real processes on fresh databases and a fresh virtual host:
/// the platform as it runs, for end-to-end and fault tests. Transfers go in as upstream systems send them (plain
/// JSON on <c>transfer-requests</c>); what happened is read back from the three databases.
/// </summary>
public sealed class TransferPlatform : IAsyncDisposable
{
    public const string TransferRequestsQueue = "transfer-requests";

    private TransferPlatform(RealServers servers, string name, string db1, string db2, string core, Uri broker)
    {
        Servers = servers;
        Name = name;
        Db1 = db1;
        Db2 = db2;
        Core = core;
        Broker = broker;
    }

    public RealServers Servers { get; }
    public string Name { get; }
    public string Db1 { get; }
    public string Db2 { get; }
    public string Core { get; }
    public Uri Broker { get; }

    /// <summary>The fixture's broker login, which every service of the platform runs as, the orchestrator's included.</summary>
    public string BrokerUser => BrokerUserOf(Broker);

    public static string BrokerUserOf(Uri broker) => Uri.UnescapeDataString(broker.UserInfo.Split(':')[0]);
    public ServiceProcess Debit { get; private set; } = null!;
    public ServiceProcess Credit { get; private set; } = null!;
    public ServiceProcess Orchestrator { get; private set; } = null!;

    /// <summary>Instances started by <see cref="StartAnotherOrchestratorAsync"/>, beside <see cref="Orchestrator"/>.</summary>
    public List<ServiceProcess> OtherOrchestrators { get; } = [];

    /// <summary>Instances started by <see cref="StartAnotherLedgerAsync"/>, beside <see cref="Debit"/> and <see cref="Credit"/>.</summary>
    public List<ServiceProcess> OtherLedgers { get; } = [];

    private Dictionary<string, string> orchestratorEnvironment = null!;
    private Dictionary<string, string> debitEnvironment = null!;
    private Dictionary<string, string> creditEnvironment = null!;

    /// <summary>One more orchestrator with the same settings: a competing consumer of its queues, with a sweeper of its own.</summary>
    public async Task<ServiceProcess> StartAnotherOrchestratorAsync()
    {
        var another = new ServiceProcess("Banking.Orchestrator", new Dictionary<string, string>(orchestratorEnvironment));
        OtherOrchestrators.Add(another);
        await another.StartAsync();
        return another;
    }

    /// <summary>One more DebitService (<paramref name="debit"/>) or CreditService with the same settings, competing for its queue.</summary>
    public async Task<ServiceProcess> StartAnotherLedgerAsync(bool debit)
    {
        var environment = new Dictionary<string, string>(debit ? debitEnvironment : creditEnvironment);
        // The first instance has seeded the demo accounts already.
        environment["Ledger__SeedDemoAccounts"] = "false";
        var another = new ServiceProcess(debit ? "Banking.DebitService" : "Banking.CreditService", environment);
        OtherLedgers.Add(another);
        await another.StartAsync();
        return another;
    }

    /// <param name="orchestratorSettings">Extra settings for the orchestrator, e.g. <c>Transfers__StepTimeout</c>.</param>
    /// <param name="serviceSettings">Extra settings for all three services, e.g. where they export their traces.</param>
    public static async Task<TransferPlatform> StartAsync(string name, IDictionary<string, string>? orchestratorSettings = null, IDictionary<string, string>? serviceSettings = null)
    {
        var servers = await RealServers.GetAsync();
        var platform = new TransferPlatform(servers, name,
            await servers.CreateDatabaseAsync(1, $"{name}_db1"),
            await servers.CreateDatabaseAsync(2, $"{name}_db2"),
            await servers.CreateDatabaseAsync(1, $"{name}_core"),
            await servers.CreateVirtualHostAsync(name));

        var common = new Dictionary<string, string>(serviceSettings ?? new Dictionary<string, string>()) { ["ConnectionStrings__RabbitMq"] = platform.Broker.ToString() };
        // The broker's other nodes when the servers are a cluster (servers.sh up --rabbitmq-nodes N writes them).
        if (Environment.GetEnvironmentVariable("BANKING_RABBITMQ_CLUSTER_NODES") is { Length: > 0 } clusterNodes)
            common.TryAdd("Bus__ClusterNodes", clusterNodes);
        platform.debitEnvironment = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__Ledger"] = platform.Db1,
            ["Ledger__SeedDemoAccounts"] = "true",
            ["Ledger__CommandSender"] = platform.BrokerUser,
        };
        platform.creditEnvironment = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__Ledger"] = platform.Db2,
            ["Ledger__SeedDemoAccounts"] = "true",
            ["Ledger__CommandSender"] = platform.BrokerUser,
        };
        platform.Debit = new ServiceProcess("Banking.DebitService", platform.debitEnvironment);
        platform.Credit = new ServiceProcess("Banking.CreditService", platform.creditEnvironment);
        var orchestrator = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__Core"] = platform.Core,
            // The fixture's administrator on the run's own ledgers; the reconciler's read-only login is the one
            // servers.sh makes for bank_db1 and bank_db2 (proved in Banking.Security.Tests).
            ["ConnectionStrings__ReconciliationDb1"] = platform.Db1,
            ["ConnectionStrings__ReconciliationDb2"] = platform.Db2,
            // The fixture runs every service as its one login, so the ledgers' replies come from it too.
            ["Transfers__DebitLedgerSender"] = platform.BrokerUser,
            ["Transfers__CreditLedgerSender"] = platform.BrokerUser,
            ["Transfers__OperatorCommandSender"] = platform.BrokerUser,
            ["Transfers__GatewaySender"] = platform.BrokerUser,
            ["Transfers__StepTimeout"] = "00:00:02",
            ["Transfers__MaxBackoff"] = "00:00:05",
            ["Transfers__SweepInterval"] = "00:00:00.500",
        };
        foreach (var (key, value) in orchestratorSettings ?? new Dictionary<string, string>()) orchestrator[key] = value;
        platform.orchestratorEnvironment = orchestrator;
        platform.Orchestrator = new ServiceProcess("Banking.Orchestrator", orchestrator);

        await Task.WhenAll(platform.Debit.StartAsync(), platform.Credit.StartAsync(), platform.Orchestrator.StartAsync());
        return platform;
    }

    /// <summary>Publishes a transfer request the way a system in any language would: plain JSON, persistent, with a message id, confirmed by the broker.</summary>
    public async Task SubmitAsync(string transferId, string from, string to, decimal amount, string currency = "CNY", Guid? messageId = null, string? description = null)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["transfer_id"] = transferId,
            ["from_account"] = from,
            ["to_account"] = to,
            ["amount"] = amount,
            ["currency"] = currency,
            ["description"] = description ?? "end-to-end test",
            ["requested_by"] = "tests",
        });
        await PublishRawAsync(body, messageId ?? Guid.NewGuid());
    }

    public Task PublishRawAsync(string json, Guid? messageId, string queue = TransferRequestsQueue, string contentType = "application/json") =>
        PublishAsync(json, messageId, queue, contentType);

    /// <summary>Sends a MassTransit envelope straight to a queue, as a service's bus would have.</summary>
    public Task PublishRawEnvelopeAsync(string envelope, string queue) =>
        PublishAsync(envelope, null, queue, "application/vnd.masstransit+json");

    /// <summary>
    /// A <c>CreditAccount</c> under a new message id on CreditService's queue, as the orchestrator's bus sends it
    /// (with the orchestrator's login, the fixture's, as <c>user_id</c>): what a late or duplicated credit command
    /// looks like to the ledger.
    /// </summary>
    public Task SendCreditAccountAsync(string transferId, string accountNo, decimal amount) =>
        PublishRawEnvelopeAsync($$$"""
            {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Banking.Contracts.Ledger:CreditAccount"],
             "message":{"transferId":"{{{transferId}}}","accountNo":"{{{accountNo}}}","amount":{{{amount.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"currency":"CNY"}}
            """, "credit-ledger");

    private async Task PublishAsync(string json, Guid? messageId, string queue, string contentType)
    {
        var factory = new ConnectionFactory { Uri = Broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        // user_id as our services stamp it; RabbitMQ checks it against this connection's login (the fixture's).
        var properties = new BasicProperties { ContentType = contentType, DeliveryMode = DeliveryModes.Persistent, UserId = BrokerUser };
        if (messageId is { } id) properties.MessageId = id.ToString();
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Waits until the transfer is SUCCESS, FAILED or ROLLBACK and returns its transfer_log row.</summary>
    public async Task<TransferRow> WaitForFinalAsync(string transferId, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        TransferRow? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await TransferAsync(transferId);
            if (last is { Status: "SUCCESS" or "FAILED" or "ROLLBACK" }) return last;
            await Task.Delay(100);
        }

        throw new TimeoutException($"transfer {transferId} is not final after {within ?? TimeSpan.FromSeconds(60)}: {last?.ToString() ?? "no row"}");
    }

    /// <summary>Waits until the saga is in <paramref name="state"/>.</summary>
    public async Task<TransferRow> WaitForStateAsync(string transferId, string state, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        TransferRow? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await TransferAsync(transferId);
            if (last?.State == state) return last;
            await Task.Delay(100);
        }

        throw new TimeoutException($"transfer {transferId} never reached {state}: {last?.ToString() ?? "no row"}");
    }

    public async Task<TransferRow?> TransferAsync(string transferId)
    {
        await using var connection = new MySqlConnection(Core);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(
            "SELECT status, current_state, reason_code, source_balance_after, amount_at_risk FROM transfer_log WHERE transfer_id = @id", connection);
        command.Parameters.AddWithValue("@id", transferId);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        return new TransferRow(transferId, reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetDecimal(3), reader.IsDBNull(4) ? null : reader.GetDecimal(4));
    }

    public async Task<IReadOnlyList<(string EventType, string? Actor, string? Details)>> TimelineAsync(string transferId)
    {
        await using var connection = new MySqlConnection(Core);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT event_type, actor, details FROM transfer_event WHERE transfer_id = @id ORDER BY id", connection);
        command.Parameters.AddWithValue("@id", transferId);
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<(string, string?, string?)>();
        while (await reader.ReadAsync()) events.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        return events;
    }

    public string LedgerOf(int database) => database == 1 ? Db1 : Db2;

    public async Task<decimal> BalanceAsync(int database, string accountNo) =>
        await ScalarAsync<decimal>(LedgerOf(database),
            "SELECT b.TOTAL_AMOUNT FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY WHERE a.BASE_ACCT_NO = @p", accountNo);

    /// <summary>Sum of all balances of one ledger: with the other ledger's, the money in the bank.</summary>
    public async Task<decimal> TotalAsync(int database) =>
        await ScalarAsync<decimal>(LedgerOf(database), "SELECT COALESCE(SUM(TOTAL_AMOUNT), 0) FROM rb_acct_balance", "");

    /// <summary>The transfer's rb_tran_hist rows in one ledger as (TRAN_TYPE, CR_DR_IND, TRAN_AMT).</summary>
    public async Task<IReadOnlyList<(string Type, string Direction, decimal Amount)>> HistoryAsync(int database, string transferId)
    {
        await using var connection = new MySqlConnection(LedgerOf(database));
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT TRAN_TYPE, CR_DR_IND, TRAN_AMT FROM rb_tran_hist WHERE REFERENCE = @id ORDER BY TRAN_TIMESTAMP, SEQ_NO", connection);
        command.Parameters.AddWithValue("@id", transferId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, decimal)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetDecimal(2)));
        return rows;
    }

    /// <summary>Opens an account directly in a ledger (tests that need their own accounts).</summary>
    private long nextAccountKey = 500_000;

    /// <summary>
    /// A new account in ledger <paramref name="database"/> with the next internal key of this platform, numbered
    /// <paramref name="prefix"/>, the database and that key: unique within the platform's own databases.
    /// </summary>
    public async Task<string> OpenAccountAsync(int database, string prefix, decimal balance, string status = "A")
    {
        var key = Interlocked.Increment(ref nextAccountKey);
        var accountNo = $"{prefix}{database}{key:D10}";
        await CreateAccountAsync(database, key, accountNo, balance, status);
        return accountNo;
    }

    public async Task CreateAccountAsync(int database, long internalKey, string accountNo, decimal balance, string status = "A", string currency = "CNY", string clientNo = "T0001")
    {
        await using var connection = new MySqlConnection(LedgerOf(database));
        await connection.OpenAsync();
        await using var command = new MySqlCommand("""
            INSERT INTO rb_acct (INTERNAL_KEY, CLIENT_NO, BASE_ACCT_NO, ACCT_NAME, ACCT_CCY, ACCT_STATUS, ACCT_BRANCH, ACCT_OPEN_DATE)
            VALUES (@key, @client, @no, 'test account', @ccy, @status, '0001', UTC_TIMESTAMP());
            INSERT INTO rb_acct_balance (INTERNAL_KEY, CLIENT_NO, TOTAL_AMOUNT, LAST_CHANGE_DATE) VALUES (@key, @client, @balance, UTC_TIMESTAMP());
            """, connection);
        command.Parameters.AddWithValue("@key", internalKey);
        command.Parameters.AddWithValue("@client", clientNo);
        command.Parameters.AddWithValue("@no", accountNo);
        command.Parameters.AddWithValue("@ccy", currency);
        command.Parameters.AddWithValue("@status", status);
        command.Parameters.AddWithValue("@balance", balance);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<int> QueueDepthAsync(string queue)
    {
        using var http = Servers.ManagementClient();
        var vhost = Uri.EscapeDataString(Broker.AbsolutePath.TrimStart('/').Length == 0 ? "/" : Uri.UnescapeDataString(Broker.AbsolutePath.TrimStart('/')));
        using var response = await http.GetAsync($"api/queues/{vhost}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return 0;
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.TryGetProperty("messages", out var messages) ? messages.GetInt32() : 0;
    }

    public async Task PurgeQueueAsync(string queue)
    {
        using var http = Servers.ManagementClient();
        var vhost = Uri.EscapeDataString(Uri.UnescapeDataString(Broker.AbsolutePath.TrimStart('/')));
        (await http.DeleteAsync($"api/queues/{vhost}/{Uri.EscapeDataString(queue)}/contents")).EnsureSuccessStatusCode();
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, string parameter)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddWithValue("@p", parameter);
        var value = await command.ExecuteScalarAsync();
        return (T)Convert.ChangeType(value ?? throw new InvalidOperationException($"no result for {sql} ({parameter})"), typeof(T));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var other in OtherOrchestrators.Concat(OtherLedgers)) await other.DisposeAsync();
        await Orchestrator.DisposeAsync();
        await Debit.DisposeAsync();
        await Credit.DisposeAsync();
    }
}

public sealed record TransferRow(string TransferId, string Status, string State, string? ReasonCode, decimal? SourceBalanceAfter, decimal? AmountAtRisk);
