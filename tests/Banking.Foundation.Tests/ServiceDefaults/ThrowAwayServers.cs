using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Banking.Testing;
using MySqlConnector;

namespace Banking.Foundation.Tests.ServiceDefaults;

/// <summary>
/// Private servers a test may kill: the shared ones are used by every other test. Each lives in its own temp
/// folder on a free loopback port and is stopped by its own pid.
/// </summary>
internal abstract class ThrowAwayServer : IAsyncDisposable
{
    protected ThrowAwayServer(string kind)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory($"banking-{kind}-").FullName;
        Port = FreeLoopbackPort();
    }

    public string Directory { get; }

    public int Port { get; }

    public abstract string ConnectionString { get; }

    /// <summary>Set once the server runs; cleared when it is stopped, so a pid reused later is never killed.</summary>
    protected int? Pid { get; set; }

    /// <summary>Kills the server (as a crash would) and returns once its port refuses connections.</summary>
    public async Task StopAsync()
    {
        if (Pid is { } pid)
        {
            Pid = null;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        var until = DateTime.UtcNow.AddSeconds(10);
        while (await PortAnswersAsync() && DateTime.UtcNow < until) await Task.Delay(50);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }

    protected async Task<bool> PortAnswersAsync()
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    protected static async Task WaitUntilAsync(Func<Task<bool>> ready, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!await ready())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"{what} did not start within 20 s");
            await Task.Delay(100);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal sealed class ThrowAwayRedis : ThrowAwayServer
{
    private ThrowAwayRedis() : base("redis") { }

    public override string ConnectionString => $"127.0.0.1:{Port}";

    private string PidFile => Path.Combine(Directory, "redis.pid");

    public static async Task<ThrowAwayRedis> StartAsync()
    {
        var redis = new ThrowAwayRedis();
        var (exitCode, output) = await RealServers.RunAsync("redis-server",
            $"--port {redis.Port} --bind 127.0.0.1 --daemonize yes --pidfile {redis.PidFile} --dir {redis.Directory} --save \"\" --appendonly no",
            TimeSpan.FromSeconds(10));
        if (exitCode != 0) throw new InvalidOperationException($"redis-server failed ({exitCode}): {output}");
        await WaitUntilAsync(async () => File.Exists(redis.PidFile) && await redis.PortAnswersAsync(), "redis-server");
        redis.Pid = int.Parse(File.ReadAllText(redis.PidFile).Trim());
        return redis;
    }
}

internal sealed class ThrowAwayMariaDb : ThrowAwayServer
{
    // Held until the end: disposing it would close the pipes mariadbd writes to.
    private Process? process;

    private ThrowAwayMariaDb() : base("mariadb") { }

    // mariadb-install-db with the "normal" root method makes root@127.0.0.1 with no password.
    public override string ConnectionString => $"Server=127.0.0.1;Port={Port};User ID=root;Password=";

    public static async Task<ThrowAwayMariaDb> StartAsync()
    {
        var db = new ThrowAwayMariaDb();
        var data = Path.Combine(db.Directory, "data");
        var (exitCode, output) = await RealServers.RunAsync("mariadb-install-db",
            $"--no-defaults --user=root --datadir={data} --auth-root-authentication-method=normal --skip-test-db",
            TimeSpan.FromSeconds(60));
        if (exitCode != 0) throw new InvalidOperationException($"mariadb-install-db failed ({exitCode}): {output}");

        var start = new ProcessStartInfo("mariadbd",
            $"--no-defaults --user=root --datadir={data} --socket={db.Directory}/mysqld.sock --port={db.Port} " +
            $"--bind-address=127.0.0.1 --pid-file={db.Directory}/mysqld.pid --log-error={db.Directory}/error.log " +
            "--skip-log-bin --innodb-buffer-pool-size=16M")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = db.process = Process.Start(start) ?? throw new InvalidOperationException("could not start mariadbd");
        db.Pid = process.Id;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await WaitUntilAsync(() => db.AnswersAsync(process), "mariadbd");
        return db;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        process?.Dispose();
    }

    private async Task<bool> AnswersAsync(Process process)
    {
        if (process.HasExited) throw new InvalidOperationException($"mariadbd exited: {File.ReadAllText(Path.Combine(Directory, "error.log"))}");
        try
        {
            await using var connection = new MySqlConnection(ConnectionString + ";Connection Timeout=1;Pooling=false");
            await connection.OpenAsync();
            return true;
        }
        catch (MySqlException)
        {
            return false;
        }
    }
}
