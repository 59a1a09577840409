using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Banking.Testing;
using MySqlConnector;
using StackExchange.Redis;

namespace Banking.Foundation.Tests.LocalServers;

/// <summary>
/// Drives deploy/local/servers.sh the way a newcomer does, on a second set of servers (own data folder, own
/// ports, own RabbitMQ node) so the servers every other test uses are never touched.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LocalServersScript_Specs
{
    private string data = null!;
    private Dictionary<string, string> environment = null!;
    private int mysql1, mysql2, rabbit, rabbitManagement, redis;

    [OneTimeSetUp]
    public void ChoosePortsAndFolder()
    {
        data = Directory.CreateTempSubdirectory("banking-servers-script-").FullName;
        (mysql1, mysql2, rabbit, rabbitManagement, redis) = (ServiceProcess.FreePort(), ServiceProcess.FreePort(), ServiceProcess.FreePort(), ServiceProcess.FreePort(), ServiceProcess.FreePort());
        environment = new Dictionary<string, string>
        {
            ["BANKING_DATA_DIR"] = data,
            ["BANKING_MYSQL1_PORT"] = mysql1.ToString(),
            ["BANKING_MYSQL2_PORT"] = mysql2.ToString(),
            ["BANKING_RABBITMQ_PORT"] = rabbit.ToString(),
            ["BANKING_RABBITMQ_MGMT_PORT"] = rabbitManagement.ToString(),
            ["BANKING_RABBITMQ_DIST_PORT"] = ServiceProcess.FreePort().ToString(),
            ["BANKING_RABBITMQ_NODENAME"] = $"banking-script-{Environment.ProcessId}@localhost",
            ["BANKING_REDIS_PORT"] = redis.ToString(),
        };
    }

    [OneTimeTearDown]
    public async Task StopWhatTheScriptStarted()
    {
        await RunAsync("down");
        try { Directory.Delete(data, recursive: true); }
        catch (IOException) { }
    }

    [Test]
    public async Task Up_starts_every_server_on_loopback_durably_up_again_reuses_them_and_down_stops_only_them()
    {
        var sharedBefore = await SharedServersAnswerAsync();

        var first = await RunAsync("up");
        Assert.That(first.ExitCode, Is.EqualTo(0), first.Output);
        var pids = Pids();
        Assert.That(pids, Has.Count.EqualTo(4), "one pid file per server");

        // The endpoints file is what the tests and the platform read.
        var endpoints = await File.ReadAllTextAsync(Path.Combine(data, "servers.env"));
        Assert.That(endpoints, Does.Contain($"Port={mysql1}").And.Contain($"Port={mysql2}").And.Contain($"127.0.0.1:{redis}").And.Contain($":{rabbit}/banking"));

        // The administrators' logins are generated on first start; servers.env is where the tests find them.
        var admin = Endpoints(endpoints);
        Assert.That(admin["BANKING_MYSQL1"], Does.Contain("User ID=root;Password=").And.Not.Contain("Password=;"));
        await AssertMariaDbAsync(admin["BANKING_MYSQL1"], "bank_db1", "bank_core");
        await AssertMariaDbAsync(admin["BANKING_MYSQL2"], "bank_db2");
        await using (var cache = await ConnectionMultiplexer.ConnectAsync($"{admin["BANKING_REDIS"]},allowAdmin=true"))
        {
            Assert.That((await cache.GetDatabase().PingAsync()).TotalSeconds, Is.LessThan(5));
            var bind = (string?)(await cache.GetServers()[0].ConfigGetAsync("bind")).Single().Value;
            Assert.That(bind, Is.EqualTo("127.0.0.1"));
        }

        using (var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{rabbitManagement}") })
        {
            var login = new Uri(admin["BANKING_RABBITMQ_MANAGEMENT"]).UserInfo;
            management.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(login))));
            var vhost = await management.GetAsync("/api/vhosts/banking");
            Assert.That(vhost.StatusCode, Is.EqualTo(HttpStatusCode.OK), "own vhost for the platform, reachable with its own user");
        }

        Assert.That(await ListensOnlyOnLoopbackAsync(mysql1) && await ListensOnlyOnLoopbackAsync(rabbit), Is.True, "not reachable on any other address");

        var status = await RunAsync("status");
        Assert.That(status.ExitCode, Is.EqualTo(0), status.Output);

        var again = await RunAsync("up");
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Output);
        Assert.That(again.Output, Does.Contain("mysql1 already up").And.Contain("mysql2 already up").And.Contain("rabbitmq already up").And.Contain("redis already up"));
        Assert.That(Pids(), Is.EqualTo(pids), "re-running up reuses the running servers");
        Assert.That(Endpoints(await File.ReadAllTextAsync(Path.Combine(data, "servers.env"))), Is.EqualTo(admin), "and keeps the generated secrets");

        var stopped = await RunAsync("stop-one", "redis");
        Assert.That(stopped.ExitCode, Is.EqualTo(0), stopped.Output);
        var degraded = await RunAsync("status");
        Assert.That(degraded.ExitCode, Is.EqualTo(3), degraded.Output);
        Assert.That(degraded.Output, Does.Contain("redis: down"));

        var down = await RunAsync("down");
        Assert.That(down.ExitCode, Is.EqualTo(0), down.Output);
        foreach (var pid in pids.Values) Assert.That(IsRunning(pid), Is.False, $"pid {pid} still runs after down");
        foreach (var port in new[] { mysql1, mysql2, rabbit, redis }) Assert.That(await AnswersAsync(port), Is.False, $"port {port} still open after down");
        Assert.That(await SharedServersAnswerAsync(), Is.EqualTo(sharedBefore), "down stops only what this up started");
    }

    [Test]
    public async Task A_server_that_cannot_come_up_fails_with_its_name_and_log_instead_of_hanging()
    {
        // Something else holds the port, so redis cannot bind it and never answers a ping.
        using var squatter = new TcpListener(IPAddress.Loopback, redis);
        squatter.Start();
        var clock = Stopwatch.StartNew();

        var result = await RunAsync("start-one", "redis");

        Assert.That(result.ExitCode, Is.Not.EqualTo(0), result.Output);
        Assert.That(result.Output, Does.Contain($"redis (port {redis}) did not come up within 15s"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "bounded by the script's own limit");
    }

    [Test]
    public async Task An_unknown_command_is_refused_with_the_usage()
    {
        var result = await RunAsync("sideways");
        Assert.That(result.ExitCode, Is.Not.EqualTo(0));
        Assert.That(result.Output, Does.Contain("up").And.Contain("down").And.Contain("status"));
    }

    private Dictionary<string, int> Pids()
    {
        var files = new Dictionary<string, string>
        {
            ["mysql1"] = Path.Combine(data, "mysql1", "mariadbd.pid"),
            ["mysql2"] = Path.Combine(data, "mysql2", "mariadbd.pid"),
            ["rabbitmq"] = Path.Combine(data, "rabbitmq", "rabbitmq.pid"),
            ["redis"] = Path.Combine(data, "redis", "redis.pid"),
        };
        return files.Where(f => File.Exists(f.Value)).ToDictionary(f => f.Key, f => int.Parse(File.ReadAllText(f.Value).Trim()));
    }

    private static Dictionary<string, string> Endpoints(string file) =>
        file.Split('\n').Where(line => line.StartsWith("export ", StringComparison.Ordinal))
            .Select(line => line["export ".Length..].Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1].Trim('"'));

    private static async Task AssertMariaDbAsync(string administrator, params string[] databases)
    {
        await using var connection = new MySqlConnection(administrator);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT @@innodb_flush_log_at_trx_commit, @@sync_binlog, @@bind_address, @@log_bin", connection);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Multiple(() =>
            {
                Assert.That(Convert.ToInt32(reader.GetValue(0)), Is.EqualTo(1), "redo log flushed at every commit");
                Assert.That(Convert.ToInt32(reader.GetValue(1)), Is.EqualTo(1), "binary log synced at every commit");
                Assert.That(reader.GetString(2), Is.EqualTo("127.0.0.1"));
                Assert.That(Convert.ToInt32(reader.GetValue(3)), Is.EqualTo(1), "binary log on");
            });
        }

        command.CommandText = "SHOW DATABASES";
        var present = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) present.Add(reader.GetString(0));
        }

        Assert.That(present, Is.SupersetOf(databases));
    }

    private static async Task<bool> SharedServersAnswerAsync()
    {
        var servers = await RealServers.GetAsync();
        await using var connection = new MySqlConnection(servers.MySql1);
        try
        {
            await connection.OpenAsync();
            return true;
        }
        catch (MySqlException)
        {
            return false;
        }
    }

    /// <summary>A loopback-only listener refuses a connection made to the machine's other addresses.</summary>
    private static async Task<bool> ListensOnlyOnLoopbackAsync(int port)
    {
        var others = (await Dns.GetHostAddressesAsync(Dns.GetHostName()))
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)).ToList();
        foreach (var address in others)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(1));
                return false;
            }
            catch (Exception e) when (e is SocketException or TimeoutException)
            {
            }
        }

        return true;
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var script = Path.Combine(RealServers.RepositoryRoot, "deploy", "local", "servers.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"servers.sh {string.Join(' ', arguments)} hung for 3 minutes");
        }

        return (process.ExitCode, await output + await error);
    }
}
