using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Banking.Testing;

namespace Banking.FaultSuite;

/// <summary>
/// The suite's own MariaDB x2, RabbitMQ and Redis, started by deploy/local/servers.sh on free ports with data in a
/// folder of their own: the suite stops and starts them, which it must never do to servers others use.
/// </summary>
public sealed class PrivateServers : IAsyncDisposable
{
    private readonly Dictionary<string, string> environment;

    private PrivateServers(string data, Dictionary<string, string> environment)
    {
        Data = data;
        this.environment = environment;
        Ports = environment.Where(e => e.Key.EndsWith("_PORT", StringComparison.Ordinal)).ToDictionary(e => e.Key, e => int.Parse(e.Value));
    }

    public string Data { get; }
    public IReadOnlyDictionary<string, int> Ports { get; }
    public int MySql1Port => Ports["BANKING_MYSQL1_PORT"];
    public int MySql2Port => Ports["BANKING_MYSQL2_PORT"];
    public int RedisPort => Ports["BANKING_REDIS_PORT"];

    public string Ledger1 => $"Server=127.0.0.1;Port={MySql1Port};Database=bank_db1;User ID=banking;Password=banking;Connection Timeout=5";
    public string Ledger2 => $"Server=127.0.0.1;Port={MySql2Port};Database=bank_db2;User ID=banking;Password=banking;Connection Timeout=5";
    public string Core => $"Server=127.0.0.1;Port={MySql1Port};Database=bank_core;User ID=banking;Password=banking;Connection Timeout=5";
    public Uri Broker => new($"amqp://banking:banking@127.0.0.1:{Ports["BANKING_RABBITMQ_PORT"]}/banking");
    public Uri Management => new($"http://127.0.0.1:{Ports["BANKING_RABBITMQ_MGMT_PORT"]}/");
    public string Redis => $"127.0.0.1:{RedisPort}";

    public static async Task<PrivateServers> StartAsync(int seed)
    {
        var data = Path.Combine(RealServers.RepositoryRoot, ".local", $"fault-suite-{seed}-{Environment.ProcessId}");
        if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        Directory.CreateDirectory(data);
        var environment = new Dictionary<string, string>
        {
            ["BANKING_DATA_DIR"] = data,
            ["BANKING_MYSQL1_PORT"] = ServiceProcess.FreePort().ToString(),
            ["BANKING_MYSQL2_PORT"] = ServiceProcess.FreePort().ToString(),
            ["BANKING_RABBITMQ_PORT"] = ServiceProcess.FreePort().ToString(),
            ["BANKING_RABBITMQ_MGMT_PORT"] = ServiceProcess.FreePort().ToString(),
            ["BANKING_RABBITMQ_DIST_PORT"] = ServiceProcess.FreePort().ToString(),
            ["BANKING_RABBITMQ_NODENAME"] = $"banking-faults-{Environment.ProcessId}@localhost",
            ["BANKING_REDIS_PORT"] = ServiceProcess.FreePort().ToString(),
        };
        var servers = new PrivateServers(data, environment);
        await servers.RunAsync("up");
        return servers;
    }

    public Task StopAsync(string server) => RunAsync("stop-one", server);

    public Task StartServerAsync(string server) => RunAsync("start-one", server);

    public async ValueTask DisposeAsync()
    {
        try { await RunAsync("down"); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(Data, recursive: true); }
        catch (IOException) { }
    }

    private async Task RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RealServers.RepositoryRoot, "deploy", "local", "servers.sh"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"servers.sh {string.Join(' ', arguments)} hung");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"servers.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
    }
}
