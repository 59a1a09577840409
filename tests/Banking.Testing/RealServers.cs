using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using DotNet.Testcontainers.Containers;
using MySqlConnector;
using Testcontainers.MySql;
using Testcontainers.RabbitMq;
using Testcontainers.Redis;

namespace Banking.Testing;

/// <summary>
/// The one way tests reach MariaDB/MySQL ×2, RabbitMQ and Redis. Endpoints come from, in order:
/// environment variables (<c>BANKING_MYSQL1</c>, <c>BANKING_MYSQL2</c>, <c>BANKING_RABBITMQ</c>,
/// <c>BANKING_RABBITMQ_MANAGEMENT</c>, <c>BANKING_REDIS</c>); Testcontainers when a Docker engine answers;
/// otherwise <c>deploy/local/servers.sh up</c>. Every run gets its own database names and RabbitMQ
/// virtual hosts (prefixed with <see cref="RunId"/>), so runs never see each other's data.
/// </summary>
public sealed class RealServers
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static RealServers? instance;

    private readonly List<IContainer> containers = [];
    private readonly List<(int Server, string Database)> databases = [];
    private readonly List<string> virtualHosts = [];

    private RealServers(string mode) => Mode = mode;

    /// <summary><c>environment</c>, <c>testcontainers</c> or <c>local</c>.</summary>
    public string Mode { get; }

    /// <summary>
    /// Starts every <see cref="RunId"/>: <c>t</c> for tests; the benchmark sets <c>bench_</c> before the first
    /// <see cref="GetAsync"/> so that its databases and virtual hosts are told apart from the tests'.
    /// </summary>
    public static string RunIdPrefix { get; set; } = "t";

    /// <summary>Unique per test run; prefixes every database and virtual host the run creates.</summary>
    public string RunId { get; } = $"{RunIdPrefix}{DateTime.UtcNow:MMddHHmmss}{Random.Shared.Next(0x1000):x3}";

    /// <summary>Server 1 (DB1 and bank_core), without a database name.</summary>
    public string MySql1 { get; private set; } = "";

    /// <summary>Server 2 (DB2), without a database name.</summary>
    public string MySql2 { get; private set; } = "";

    /// <summary>The broker, e.g. <c>amqp://user:pass@127.0.0.1:5672/</c>; the path (virtual host) is ignored.</summary>
    public Uri RabbitMq { get; private set; } = null!;

    /// <summary>The management API with credentials in the user info, e.g. <c>http://user:pass@127.0.0.1:15672</c>.</summary>
    public Uri RabbitMqManagement { get; private set; } = null!;

    /// <summary>A StackExchange.Redis configuration string.</summary>
    public string Redis { get; private set; } = "";

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static async Task<RealServers> GetAsync()
    {
        if (instance is not null) return instance;
        await Gate.WaitAsync();
        try
        {
            instance ??= await StartAsync();
            return instance;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Creates a fresh database for this run on server 1 or 2 and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(int server, string name)
    {
        var database = $"{RunId}_{name}".ToLowerInvariant();
        var root = server == 1 ? MySql1 : MySql2;
        await using (var connection = new MySqlConnection(root))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci";
            await command.ExecuteNonQueryAsync();
        }

        lock (databases) databases.Add((server, database));
        return new MySqlConnectionStringBuilder(root) { Database = database }.ConnectionString;
    }

    /// <summary>Creates a fresh virtual host for this run and returns the broker address that selects it.</summary>
    public async Task<Uri> CreateVirtualHostAsync(string name)
    {
        var vhost = $"{RunId}-{name}".ToLowerInvariant();
        using var http = ManagementClient();
        var user = Uri.UnescapeDataString(RabbitMq.UserInfo.Split(':')[0]);
        (await http.PutAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await http.PutAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}", permissions)).EnsureSuccessStatusCode();

        lock (virtualHosts) virtualHosts.Add(vhost);
        return new UriBuilder(RabbitMq) { Path = "/" + Uri.EscapeDataString(vhost) }.Uri;
    }

    /// <summary>Drops what this run created. Called once, at the end of each test assembly.</summary>
    public async Task CleanUpAsync()
    {
        List<(int, string)> dbs;
        lock (databases) { dbs = [.. databases]; databases.Clear(); }
        foreach (var (server, database) in dbs)
        {
            try
            {
                await using var connection = new MySqlConnection(server == 1 ? MySql1 : MySql2);
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = $"DROP DATABASE IF EXISTS `{database}`";
                await command.ExecuteNonQueryAsync();
            }
            catch (MySqlException)
            {
                // A server a test stopped on purpose; its data folder is throw-away anyway.
            }
        }

        List<string> vhosts;
        lock (virtualHosts) { vhosts = [.. virtualHosts]; virtualHosts.Clear(); }
        if (vhosts.Count > 0)
        {
            using var http = ManagementClient();
            foreach (var vhost in vhosts)
            {
                try { await http.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}"); }
                catch (HttpRequestException) { }
            }
        }

        foreach (var container in containers) await container.DisposeAsync();
        containers.Clear();
    }

    public HttpClient ManagementClient()
    {
        var http = new HttpClient { BaseAddress = new UriBuilder(RabbitMqManagement) { UserName = "", Password = "" }.Uri };
        var credentials = Uri.UnescapeDataString(RabbitMqManagement.UserInfo);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return http;
    }

    private static async Task<RealServers> StartAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("BANKING_MYSQL1");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            var servers = new RealServers("environment");
            servers.ReadEnvironment(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? ""));
            return servers;
        }

        if (await DockerEngineAnswersAsync())
        {
            return await StartContainersAsync();
        }

        return await StartLocalServersAsync();
    }

    private void ReadEnvironment(IReadOnlyDictionary<string, string> variables)
    {
        string Get(string name) => variables.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value)
            ? value
            : throw new InvalidOperationException($"{name} is not set; the test fixture needs all of BANKING_MYSQL1, BANKING_MYSQL2, BANKING_RABBITMQ, BANKING_RABBITMQ_MANAGEMENT, BANKING_REDIS.");

        MySql1 = Get("BANKING_MYSQL1");
        MySql2 = Get("BANKING_MYSQL2");
        RabbitMq = new Uri(Get("BANKING_RABBITMQ"));
        RabbitMqManagement = new Uri(Get("BANKING_RABBITMQ_MANAGEMENT"));
        Redis = Get("BANKING_REDIS");
    }

    private static async Task<RealServers> StartLocalServersAsync()
    {
        var script = Path.Combine(RepositoryRoot, "deploy", "local", "servers.sh");
        var (exitCode, output) = await RunAsync("bash", $"\"{script}\" up", TimeSpan.FromMinutes(5));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"deploy/local/servers.sh up failed with exit code {exitCode}:\n{output}");
        }

        var dataDir = Environment.GetEnvironmentVariable("BANKING_DATA_DIR") ?? Path.Combine(RepositoryRoot, ".local");
        var variables = ParseEnvFile(Path.Combine(dataDir, "servers.env"));
        var servers = new RealServers("local");
        servers.ReadEnvironment(variables);
        return servers;
    }

    private static async Task<RealServers> StartContainersAsync()
    {
        var servers = new RealServers("testcontainers");

        // mysql:8.0 as in docker-compose.yml; the bank's durability is the image's default (flush at commit).
        MySqlContainer NewMySql() => new MySqlBuilder("mysql:8.0")
            .WithUsername("root")
            .WithPassword("banking")
            .WithCommand("--transaction-isolation=READ-COMMITTED", "--innodb-flush-log-at-trx-commit=1", "--sync-binlog=1", "--max-connections=1000")
            .Build();
        var mysql1 = NewMySql();
        var mysql2 = NewMySql();
        var rabbit = new RabbitMqBuilder("rabbitmq:3.10-management").WithUsername("banking").WithPassword("banking").WithPortBinding(15672, true).Build();
        var redis = new RedisBuilder("redis:7").Build();
        servers.containers.AddRange([mysql1, mysql2, rabbit, redis]);
        await Task.WhenAll(mysql1.StartAsync(), mysql2.StartAsync(), rabbit.StartAsync(), redis.StartAsync());

        string WithoutDatabase(MySqlContainer c) =>
            new MySqlConnectionStringBuilder(c.GetConnectionString()) { Database = "" }.ConnectionString;

        servers.MySql1 = WithoutDatabase(mysql1);
        servers.MySql2 = WithoutDatabase(mysql2);
        servers.RabbitMq = new Uri(rabbit.GetConnectionString());
        servers.RabbitMqManagement = new Uri($"http://banking:banking@{rabbit.Hostname}:{rabbit.GetMappedPublicPort(15672)}");
        servers.Redis = redis.GetConnectionString();
        return servers;
    }

    private static async Task<bool> DockerEngineAnswersAsync()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var socketPath = host is not null && host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..] : "/var/run/docker.sock";
        if (host is not null && !host.StartsWith("unix://", StringComparison.Ordinal)) return true;
        if (!File.Exists(socketPath)) return false;

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token);
            await socket.SendAsync("GET /_ping HTTP/1.0\r\n\r\n"u8.ToArray(), SocketFlags.None, timeout.Token);
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    public static Dictionary<string, string> ParseEnvFile(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line["export ".Length..];
            var equals = line.IndexOf('=');
            if (equals <= 0) continue;
            var value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0]) value = value[1..^1];
            result[line[..equals].Trim()] = value;
        }

        return result;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string arguments, TimeSpan limit)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {arguments} did not finish within {limit}:\n{output}");
        }

        lock (output) return (process.ExitCode, output.ToString());
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Banking.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("Banking.sln not found above " + AppContext.BaseDirectory);
    }
}
