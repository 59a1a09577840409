using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Banking.Testing;

/// <summary>
/// MariaDB x2, RabbitMQ and Redis of one's own, started by deploy/local/servers.sh on free ports with data in a folder
/// of their own: for the fault suite, which stops and starts them (never done to servers others use), and for the
/// security specs, which need the servers exactly as servers.sh secures them. The endpoints are the ones servers.sh
/// writes: administrators in DATA/servers.env, one login per service in DATA/services.env.
/// </summary>
public sealed partial class PrivateServers : IAsyncDisposable
{
    private readonly Dictionary<string, string> environment;
    private Dictionary<string, string> endpoints = new();

    private PrivateServers(string data, Dictionary<string, string> environment)
    {
        Data = data;
        this.environment = environment;
        Ports = environment.Where(e => e.Key.EndsWith("_PORT", StringComparison.Ordinal)).ToDictionary(e => e.Key, e => int.Parse(e.Value));
    }

    public string Data { get; }
    public string Secrets => Path.Combine(Data, "secrets");
    public IReadOnlyDictionary<string, int> Ports { get; }
    public int MySql1Port => Ports["BANKING_MYSQL1_PORT"];
    public int MySql2Port => Ports["BANKING_MYSQL2_PORT"];
    public int RabbitMqPort => Ports["BANKING_RABBITMQ_PORT"];
    public int ManagementPort => Ports["BANKING_RABBITMQ_MGMT_PORT"];
    public int RedisPort => Ports["BANKING_REDIS_PORT"];

    /// <summary>The environment servers.sh and platform.sh run with (data folder, ports, node name).</summary>
    public IReadOnlyDictionary<string, string> ScriptEnvironment => environment;

    /// <summary>A value from DATA/servers.env or DATA/services.env, e.g. <c>BANKING_DEBIT_LEDGER</c>.</summary>
    public string Endpoint(string name) =>
        endpoints.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"{name} is not in {Data}/servers.env or services.env");

    /// <summary>DATA/tls/ca.crt, which signed every server's certificate (servers started with TLS).</summary>
    public string CertificateAuthority => Path.Combine(Data, "tls", "ca.crt");

    public string Secret(string name) => File.ReadAllText(Path.Combine(Secrets, name)).Trim();

    // Administrators (root, admin, Redis default): for what the tests set up and check, never for the services.
    public string MySql1Admin => Endpoint("BANKING_MYSQL1");
    public string MySql2Admin => Endpoint("BANKING_MYSQL2");
    public string Ledger1 => $"{MySql1Admin};Database=bank_db1;Connection Timeout=5";
    public string Ledger2 => $"{MySql2Admin};Database=bank_db2;Connection Timeout=5";
    public string Core => $"{MySql1Admin};Database=bank_core;Connection Timeout=5";
    public Uri Broker => new(Endpoint("BANKING_RABBITMQ"));
    public Uri Management => new(Endpoint("BANKING_RABBITMQ_MANAGEMENT"));
    public string Redis => Endpoint("BANKING_REDIS");

    // The logins servers.sh made for each party.
    public string DebitLedger => Endpoint("BANKING_DEBIT_LEDGER") + ";Connection Timeout=5";
    public string CreditLedger => Endpoint("BANKING_CREDIT_LEDGER") + ";Connection Timeout=5";
    public string OrchestratorCore => Endpoint("BANKING_ORCHESTRATOR_CORE") + ";Connection Timeout=5";
    public string ReconcilerDb1 => Endpoint("BANKING_RECONCILER_DB1") + ";Connection Timeout=5";
    public string ReconcilerDb2 => Endpoint("BANKING_RECONCILER_DB2") + ";Connection Timeout=5";
    public Uri UpstreamBroker => new(Endpoint("BANKING_UPSTREAM_RABBITMQ"));
    public Uri OrchestratorBroker => new(Endpoint("BANKING_ORCHESTRATOR_RABBITMQ"));
    public Uri GatewayBroker => new(Endpoint("BANKING_GATEWAY_RABBITMQ"));
    public Uri DebitBroker => new(Endpoint("BANKING_DEBIT_RABBITMQ"));
    public Uri CreditBroker => new(Endpoint("BANKING_CREDIT_RABBITMQ"));
    public string GatewayRedis => Endpoint("BANKING_GATEWAY_REDIS");

    /// <param name="name">The data folder's name under .local (made unique per process).</param>
    /// <param name="tls">servers.sh up --tls: TLS only, certificates from a CA in DATA/tls (<see cref="CertificateAuthority"/>).</param>
    /// <param name="rabbitMqNodes">servers.sh up --rabbitmq-nodes: a RabbitMQ cluster of this many nodes.</param>
    /// <param name="mySqlReplicas">servers.sh up --mysql-replicas: a semi-synchronous replica of each MariaDB server.</param>
    public static async Task<PrivateServers> StartAsync(string name, bool tls = false, int rabbitMqNodes = 1, bool mySqlReplicas = false)
    {
        var data = Path.Combine(RealServers.RepositoryRoot, ".local", $"{name}-{Environment.ProcessId}");
        if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        Directory.CreateDirectory(data);
        var block = FreePortBlock();
        string Port(int offset) => (block + offset).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>
        {
            ["BANKING_DATA_DIR"] = data,
            // servers.sh derives ports from these: a replica on its server's port + 10, RabbitMQ node i on each + i - 1.
            ["BANKING_MYSQL1_PORT"] = Port(0),
            ["BANKING_MYSQL2_PORT"] = Port(1),
            ["BANKING_REDIS_PORT"] = Port(2),
            ["BANKING_RABBITMQ_PORT"] = Port(20),
            ["BANKING_RABBITMQ_MGMT_PORT"] = Port(30),
            ["BANKING_RABBITMQ_DIST_PORT"] = Port(40),
            ["BANKING_RABBITMQ_NODENAME"] = $"{name}-{Environment.ProcessId}@localhost",
            ["BANKING_TLS"] = tls ? "1" : "0",
            ["BANKING_RABBITMQ_NODES"] = rabbitMqNodes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BANKING_MYSQL_REPLICAS"] = mySqlReplicas ? "1" : "0",
        };
        var servers = new PrivateServers(data, environment);
        try
        {
            await servers.RunAsync("servers.sh", "up");
            // Both files may name the same value (BANKING_TLS_CA); it is the same in each.
            servers.endpoints = ReadEnvironmentFile(Path.Combine(data, "servers.env"))
                .Concat(ReadEnvironmentFile(Path.Combine(data, "services.env")))
                .GroupBy(e => e.Key)
                .ToDictionary(e => e.Key, e => e.Last().Value);
        }
        catch
        {
            // A half-started set must not outlive the run: nobody else knows its ports or its data folder.
            await servers.DisposeAsync();
            throw;
        }

        return servers;
    }

    private const int PortBlockSize = 50;

    /// <summary>
    /// The first of <see cref="PortBlockSize"/> ports, all free on 127.0.0.1 and 127.0.0.2, below the kernel's
    /// ephemeral range (32768 up): the ports servers.sh derives (port + 10, port + i) must be free too, and an
    /// outgoing connection's local port, drawn from that range, must not take one of them before its server starts.
    /// </summary>
    private static int FreePortBlock()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = Random.Shared.Next(20_000, 32_000 - PortBlockSize);
            if (Enumerable.Range(first, PortBlockSize).All(port => Bindable("127.0.0.1", port) && Bindable("127.0.0.2", port))) return first;
        }

        throw new InvalidOperationException($"no {PortBlockSize} free ports in a row between 20000 and 32000");
    }

    private static bool Bindable(string address, int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(address), port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// The environment deploy/local/platform.sh starts <paramref name="project"/> with (Production, the key file, that
    /// service's own logins): one definition for the local platform and the tests that run the services like it.
    /// </summary>
    public async Task<Dictionary<string, string>> ServiceEnvironmentAsync(string project)
    {
        var lines = await RunAsync("platform.sh", "service-env", project);
        return lines.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);
    }

    public Task StopAsync(string server) => RunAsync("servers.sh", "stop-one", server);

    /// <summary>How many RabbitMQ nodes were started; servers.sh names them rabbitmq, rabbitmq2, rabbitmq3, ...</summary>
    public int RabbitMqNodes => int.Parse(environment["BANKING_RABBITMQ_NODES"], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>servers.sh's name of RabbitMQ node <paramref name="index"/> (1-based).</summary>
    public static string RabbitMqServer(int index) => index == 1 ? "rabbitmq" : $"rabbitmq{index}";

    /// <summary>The Erlang node name of RabbitMQ node <paramref name="index"/>, as the management API reports it.</summary>
    public string RabbitMqNodeName(int index)
    {
        var first = environment["BANKING_RABBITMQ_NODENAME"];
        return index == 1 ? first : $"{first[..first.IndexOf('@')]}{index}{first[first.IndexOf('@')..]}";
    }

    /// <summary>The process of RabbitMQ node <paramref name="index"/>, from its pid file; null when it is not running.</summary>
    public int? RabbitMqPid(int index)
    {
        var file = Path.Combine(Data, index == 1 ? "rabbitmq" : $"rabbitmq-{index}", "rabbitmq.pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
    }

    /// <summary>Every node's AMQP endpoint, node 1 first: what a client of the cluster may connect to.</summary>
    public IReadOnlyList<(string Host, int Port)> RabbitMqEndpoints =>
        [.. Enumerable.Range(0, RabbitMqNodes).Select(i => ("127.0.0.1", RabbitMqPort + i))];

    public Task StartServerAsync(string server) => RunAsync("servers.sh", "start-one", server);

    /// <summary>Whether each MariaDB server has a replica (servers.sh names them mysql1-replica, mysql2-replica).</summary>
    public bool MySqlReplicas => environment["BANKING_MYSQL_REPLICAS"] == "1";

    /// <summary>servers.sh promote: server <paramref name="n"/>'s replica becomes its primary.</summary>
    public Task PromoteAsync(int n) => RunAsync("servers.sh", "promote", $"mysql{n}");

    /// <summary>The folder of MariaDB server <paramref name="n"/>'s primary member (servers.sh primary-dir).</summary>
    public async Task<string> MySqlPrimaryDirectoryAsync(int n) => (await RunAsync("servers.sh", "primary-dir", n.ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim();

    /// <summary>The process of server <paramref name="n"/>'s primary, from its pid file; null when it is not running.</summary>
    public async Task<int?> MySqlPrimaryPidAsync(int n)
    {
        var file = Path.Combine(await MySqlPrimaryDirectoryAsync(n), "mariadbd.pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
    }

    /// <summary>
    /// Runs deploy/local/<paramref name="script"/> with these servers' environment and hands back how it ended instead
    /// of throwing: for the specs that expect a script to refuse, and for the ones that time it.
    /// </summary>
    public async Task<(int ExitCode, string Output, string Error)> RunScriptAsync(string script, TimeSpan limit, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RealServers.RepositoryRoot, "deploy", "local", script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} {string.Join(' ', arguments)} did not end within {limit.TotalSeconds:0} s");
        }

        return (process.ExitCode, await output, await error);
    }

    public async ValueTask DisposeAsync()
    {
        try { await RunAsync("servers.sh", "down"); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(Data, recursive: true); }
        catch (IOException) { }
    }

    private static IEnumerable<KeyValuePair<string, string>> ReadEnvironmentFile(string path) =>
        File.ReadAllLines(path).Select(line => ExportLine().Match(line)).Where(m => m.Success)
            .Select(m => KeyValuePair.Create(m.Groups[1].Value, m.Groups[2].Value));

    [GeneratedRegex("""^export (\w+)="(.*)"$""")]
    private static partial Regex ExportLine();

    private async Task<string> RunAsync(string script, params string[] arguments)
    {
        (int ExitCode, string Output, string Error) result;
        try
        {
            result = await RunScriptAsync(script, TimeSpan.FromMinutes(4), arguments);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} hung");
        }

        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Output}{result.Error}");
        return result.Output;
    }
}
