using System.Collections.Concurrent;
using Banking.Testing;
using MySqlConnector;

namespace Banking.FaultSuite;

/// <summary>The four services as real processes on the suite's private servers, one or more instances of each.</summary>
public sealed partial class FaultPlatform : IAsyncDisposable
{
    private FaultPlatform(PrivateServers servers, IReadOnlyDictionary<string, Dictionary<string, string>> environments, int instances)
    {
        Servers = servers;
        // Each service as platform.sh runs it (Production, its own logins, the generated signing key), plus the
        // suite's shorter timeouts; no demo accounts, the suite opens its own.
        Dictionary<string, string> As(string project, params (string Key, string Value)[] extra)
        {
            var environment = new Dictionary<string, string>(environments[project]);
            environment.Remove("Ledger__SeedDemoAccounts");
            foreach (var (key, value) in extra) environment[key] = value;
            return environment;
        }

        // Several instances of each service compete for its queues, as platform.sh start --instances N runs them.
        IReadOnlyList<ServiceProcess> Instances(string project, params (string Key, string Value)[] extra) =>
            [.. Enumerable.Range(0, instances).Select(_ => new ServiceProcess(project, As(project, extra)))];

        Debits = Instances("Banking.DebitService");
        Credits = Instances("Banking.CreditService");
        Orchestrators = Instances("Banking.Orchestrator",
            ("Transfers__StepTimeout", "00:00:03"), ("Transfers__MaxBackoff", "00:00:05"), ("Transfers__SweepInterval", "00:00:01"));
        Gateways = Instances("Banking.Gateway", ("RateLimit__PermitLimit", "1000000"));
    }

    public PrivateServers Servers { get; }
    public IReadOnlyList<ServiceProcess> Debits { get; }
    public IReadOnlyList<ServiceProcess> Credits { get; }
    public IReadOnlyList<ServiceProcess> Orchestrators { get; }
    public IReadOnlyList<ServiceProcess> Gateways { get; }
    public ServiceProcess Orchestrator => Orchestrators[0];
    public ServiceProcess Gateway => Gateways[0];

    /// <summary>Every process, named by service ("DebitService") and, from the second instance on, its number ("DebitService#2").</summary>
    public IReadOnlyList<(string Name, ServiceProcess Process)> Services =>
    [
        .. Named("DebitService", Debits), .. Named("CreditService", Credits), .. Named("Orchestrator", Orchestrators), .. Named("Gateway", Gateways),
    ];

    /// <summary>The instances of the service <paramref name="name"/> ("DebitService", "Gateway", ...).</summary>
    public IReadOnlyList<ServiceProcess> InstancesOf(string name) => [.. Services.Where(s => s.Name.Split('#')[0] == name).Select(s => s.Process)];

    private static IEnumerable<(string, ServiceProcess)> Named(string name, IReadOnlyList<ServiceProcess> instances) =>
        instances.Select((process, i) => (i == 0 ? name : $"{name}#{i + 1}", process));

    public static async Task<FaultPlatform> StartAsync(PrivateServers servers, int instances = 1)
    {
        var environments = new Dictionary<string, Dictionary<string, string>>();
        foreach (var project in new[] { "Banking.DebitService", "Banking.CreditService", "Banking.Orchestrator", "Banking.Gateway" })
            environments[project] = await servers.ServiceEnvironmentAsync(project);
        var platform = new FaultPlatform(servers, environments, instances);
        // The first instances migrate the databases; the others start once the schema is there.
        var first = platform.Services.Where(s => !s.Name.Contains('#')).ToList();
        await Task.WhenAll(first.Select(s => s.Process.StartAsync(TimeSpan.FromSeconds(90))));
        await Task.WhenAll(platform.Services.Except(first).Select(s => s.Process.StartAsync(TimeSpan.FromSeconds(90))));
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

    /// <summary>
    /// Each ledger's and the orchestrator's own <c>verify-audit</c> command on its database, with its own login: one
    /// violation per database whose chains do not verify, or that has no audited row at all (nothing was checked).
    /// </summary>
    public async Task<List<Violation>> VerifyAuditAsync()
    {
        var databases = new[] { ("bank_db1", Debits[0]), ("bank_db2", Credits[0]), ("bank_core", Orchestrator) };
        var results = await Task.WhenAll(databases.Select(async d => (Database: d.Item1, Result: await d.Item2.RunCommandAsync(["verify-audit"], TimeSpan.FromSeconds(120)))));
        var violations = new List<Violation>();
        foreach (var (database, (exitCode, output, error)) in results)
        {
            if (exitCode != 0)
                violations.Add(new(BankInvariants.AuditIntact, $"{database}: verify-audit exit {exitCode}: {Shortened(output + error)}"));
            else if (!AuditedRows().IsMatch(output))
                violations.Add(new(BankInvariants.AuditIntact, $"{database}: verify-audit found no audited row: {Shortened(output)}"));
        }

        return violations;
    }

    private static string Shortened(string text) => text.Length <= 600 ? text.Trim() : text[..600].Trim() + " ...";

    [System.Text.RegularExpressions.GeneratedRegex("\"rows\": [1-9]")]
    private static partial System.Text.RegularExpressions.Regex AuditedRows();

    /// <summary>
    /// The orchestrator's end-of-day reconciliation (the <c>reconcile</c> command, on the reconciler's read-only logins)
    /// of every business date from <paramref name="sinceUtc"/> to now: one violation per date that is not clean.
    /// </summary>
    public async Task<List<Violation>> ReconcileAsync(DateTime sinceUtc, Action<string> log)
    {
        var calendar = new Banking.ServiceDefaults.BusinessCalendar(new Banking.ServiceDefaults.BankOptions().BusinessTimeZone);
        var violations = new List<Violation>();
        foreach (var date in new[] { calendar.DateOf(sinceUtc), calendar.DateOf(DateTime.UtcNow) }.Distinct())
        {
            var day = date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var (exitCode, csv, error) = await Orchestrator.RunCommandAsync(["reconcile", "--date", day, "--format", "csv"]);
            log($"reconcile --date {day}: exit {exitCode}, {error.Trim()}");
            if (exitCode == 0) continue;
            var mismatches = csv.Split('\n').Where(l => l.StartsWith("mismatch,", StringComparison.Ordinal)).ToList();
            violations.Add(new(BankInvariants.Reconciled, exitCode == 1
                ? $"{day}: {mismatches.Count} mismatch(es): {string.Join(" | ", mismatches.Take(5))}"
                : $"{day}: the command failed with exit code {exitCode}: {error.Trim()}"));
        }

        return violations;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process) in Services) await process.DisposeAsync();
    }
}

public sealed record Accounts(IReadOnlyList<string> Sources, IReadOnlyList<string> Destinations, string RestrictedDestination);
