using System.Collections.Concurrent;
using Banking.Testing;
using MySqlConnector;

namespace Banking.FaultSuite;

/// <summary>The four services as real processes on the suite's private servers.</summary>
public sealed class FaultPlatform : IAsyncDisposable
{
    private FaultPlatform(PrivateServers servers)
    {
        Servers = servers;
        var common = new Dictionary<string, string>
        {
            ["ConnectionStrings__RabbitMq"] = servers.Broker.ToString(),
            // Every service runs as one broker login here, so the ledgers must take commands from it (issue 15, item 1).
            ["Ledger__CommandSender"] = TransferPlatform.BrokerUserOf(servers.Broker),
        };
        Debit = new ServiceProcess("Banking.DebitService", new Dictionary<string, string>(common) { ["ConnectionStrings__Ledger"] = servers.Ledger1 });
        Credit = new ServiceProcess("Banking.CreditService", new Dictionary<string, string>(common) { ["ConnectionStrings__Ledger"] = servers.Ledger2 });
        Orchestrator = new ServiceProcess("Banking.Orchestrator", new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__Core"] = servers.Core,
            ["Transfers__StepTimeout"] = "00:00:03",
            ["Transfers__MaxBackoff"] = "00:00:05",
            ["Transfers__SweepInterval"] = "00:00:01",
        });
        Gateway = new ServiceProcess("Banking.Gateway", new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__Redis"] = servers.Redis,
            ["RateLimit__PermitLimit"] = "1000000",
        });
    }

    public PrivateServers Servers { get; }
    public ServiceProcess Debit { get; }
    public ServiceProcess Credit { get; }
    public ServiceProcess Orchestrator { get; }
    public ServiceProcess Gateway { get; }
    public IReadOnlyList<(string Name, ServiceProcess Process)> Services =>
        [("DebitService", Debit), ("CreditService", Credit), ("Orchestrator", Orchestrator), ("Gateway", Gateway)];

    public static async Task<FaultPlatform> StartAsync(PrivateServers servers)
    {
        var platform = new FaultPlatform(servers);
        await Task.WhenAll(platform.Services.Select(s => s.Process.StartAsync(TimeSpan.FromSeconds(90))));
        return platform;
    }

    /// <summary>Services started again by <see cref="SuperviseAsync"/>, by name.</summary>
    public ConcurrentDictionary<string, int> SupervisorRestarts { get; } = new();

    /// <summary>
    /// What systemd or Compose's restart policy does in production: a service that exits on its own (the outbox
    /// watchdog's exit 75, a crash) is started again. The fault injector's own kills and stops are not its business.
    /// </summary>
    public async Task SuperviseAsync(Action<string> log, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var (name, process) in Services)
            {
                if (process.ExitedOnItsOwn is not { } code) continue;
                log($"supervisor: {name} exited on its own with code {code}; starting it again");
                SupervisorRestarts.AddOrUpdate(name, 1, (_, n) => n + 1);
                try
                {
                    await process.StartAsync(TimeSpan.FromSeconds(120));
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    log($"  {name} did not start ({e.Message.Split('\n')[0]}); the supervisor tries again");
                }
            }
        }
    }

    /// <summary>Opens the suite's accounts: sources in DB1, destinations in DB2, one restricted destination.</summary>
    public async Task<Accounts> OpenAccountsAsync(int perLedger, decimal balance)
    {
        var sources = Enumerable.Range(0, perLedger).Select(i => $"62304001{i:D10}").ToList();
        var destinations = Enumerable.Range(0, perLedger).Select(i => $"62304002{i:D10}").ToList();
        const string restricted = "623040039999999999";
        await InsertAsync(Servers.Ledger1, 900_000, sources.Select(a => (a, balance, "A")));
        await InsertAsync(Servers.Ledger2, 900_000, destinations.Select(a => (a, balance, "A")).Append((restricted, 0m, "D")));
        return new Accounts(sources, destinations, restricted);
    }

    private static async Task InsertAsync(string ledger, long firstKey, IEnumerable<(string AccountNo, decimal Balance, string Status)> accounts)
    {
        await using var connection = new MySqlConnection(ledger);
        await connection.OpenAsync();
        var key = firstKey;
        foreach (var (accountNo, balance, status) in accounts)
        {
            await using var command = new MySqlCommand("""
                INSERT INTO rb_acct (INTERNAL_KEY, CLIENT_NO, BASE_ACCT_NO, ACCT_NAME, ACCT_CCY, ACCT_STATUS, ACCT_BRANCH, ACCT_OPEN_DATE)
                VALUES (@key, 'F0001', @no, 'fault suite', 'CNY', @status, '0001', UTC_TIMESTAMP());
                INSERT INTO rb_acct_balance (INTERNAL_KEY, CLIENT_NO, TOTAL_AMOUNT, LAST_CHANGE_DATE) VALUES (@key, 'F0001', @balance, UTC_TIMESTAMP());
                """, connection);
            command.Parameters.AddWithValue("@key", key++);
            command.Parameters.AddWithValue("@no", accountNo);
            command.Parameters.AddWithValue("@status", status);
            command.Parameters.AddWithValue("@balance", balance);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Every service running and not paused: the state the checks start from.</summary>
    public async Task HealAsync()
    {
        foreach (var (_, process) in Services)
        {
            if (process.ProcessId is null) await process.StartAsync(TimeSpan.FromSeconds(120));
            else process.Resume();
        }

        foreach (var (_, process) in Services) await process.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process) in Services) await process.DisposeAsync();
    }
}

public sealed record Accounts(IReadOnlyList<string> Sources, IReadOnlyList<string> Destinations, string RestrictedDestination);
