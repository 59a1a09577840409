using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Banking.ServiceDefaults;
using Banking.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Banking.Foundation.Tests.ServiceDefaults;

public class Health_Specs
{
    // A dead server must turn the probe red within this, never make it hang (the check's own limit is 2 s).
    private static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(3);

    private ThrowAwayMariaDb db = null!;
    private ThrowAwayRedis redis = null!;
    private ThrowAwayRedis redisBehindMultiplexer = null!;

    [OneTimeSetUp]
    public async Task StartThrowAwayServers()
    {
        var starting = (Db: ThrowAwayMariaDb.StartAsync(), Redis: ThrowAwayRedis.StartAsync(), Other: ThrowAwayRedis.StartAsync());
        await Task.WhenAll(starting.Db, starting.Redis, starting.Other);
        (db, redis, redisBehindMultiplexer) = (starting.Db.Result, starting.Redis.Result, starting.Other.Result);
    }

    [OneTimeTearDown]
    public async Task StopThrowAwayServers()
    {
        foreach (var server in new ThrowAwayServer?[] { db, redis, redisBehindMultiplexer })
        {
            if (server is not null) await server.DisposeAsync();
        }
    }

    [Test]
    public async Task Ready_is_healthy_and_lists_each_check_when_the_shared_database_and_redis_answer()
    {
        var servers = await RealServers.GetAsync();
        await using var app = await StartAsync(servers.MySql1, servers.Redis);

        var (status, body) = await app.GetUntilAsync("/health/ready", (s, _) => s == 200, TimeSpan.FromSeconds(5));

        Assert.That(status, Is.EqualTo(200), body);
        Assert.That(Checks(body), Is.EquivalentTo(new Dictionary<string, string> { ["ledger-db"] = "Healthy", ["redis"] = "Healthy" }));
        Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task Ready_turns_503_naming_the_server_that_stopped_while_live_stays_200()
    {
        await using var app = await StartAsync(db.ConnectionString, redis.ConnectionString);
        var client = app.GetTestClient();
        Assert.That((await app.GetUntilAsync("/health/ready", (s, _) => s == 200, TimeSpan.FromSeconds(5))).Status, Is.EqualTo(200));

        await db.StopAsync();
        var (status, body, took) = await ProbeAsync(client);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(503), body);
            Assert.That(took, Is.LessThan(ProbeLimit));
            Assert.That(Checks(body), Is.EquivalentTo(new Dictionary<string, string> { ["ledger-db"] = "Unhealthy", ["redis"] = "Healthy" }));
        });
        Assert.That((int)(await client.GetAsync("/health/live")).StatusCode, Is.EqualTo(200));

        await redis.StopAsync();
        (status, body, took) = await ProbeAsync(client);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(503), body);
            Assert.That(took, Is.LessThan(ProbeLimit));
            Assert.That(Checks(body), Is.EquivalentTo(new Dictionary<string, string> { ["ledger-db"] = "Unhealthy", ["redis"] = "Unhealthy" }));
        });
        Assert.That((int)(await client.GetAsync("/health/live")).StatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task Redis_readiness_uses_the_services_own_connection_and_fails_fast_when_redis_stops()
    {
        var options = ConfigurationOptions.Parse(redisBehindMultiplexer.ConnectionString);
        options.AbortOnConnectFail = false;
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        var servers = await RealServers.GetAsync();
        await using var app = await StartAsync(servers.MySql1, redisBehindMultiplexer.ConnectionString,
            builder => builder.Services.AddSingleton<IConnectionMultiplexer>(multiplexer));
        var client = app.GetTestClient();
        Assert.That((await app.GetUntilAsync("/health/ready", (s, _) => s == 200, TimeSpan.FromSeconds(5))).Status, Is.EqualTo(200));

        await redisBehindMultiplexer.StopAsync();
        var (status, body, took) = await ProbeAsync(client);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(503), body);
            Assert.That(took, Is.LessThan(ProbeLimit));
            Assert.That(Checks(body)["redis"], Is.EqualTo("Unhealthy"));
            Assert.That(Checks(body)["ledger-db"], Is.EqualTo("Healthy"));
        });
    }

    [Test]
    public async Task Ready_gives_up_on_a_server_that_accepts_connections_but_never_answers()
    {
        // Accepts TCP and then says nothing, like a server stuck on a full disk or a half-open connection.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(backlog: 16);
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var app = await StartAsync($"Server=127.0.0.1;Port={port};User ID=root;Password=", $"127.0.0.1:{port}");

        var (status, body, took) = await ProbeAsync(app.GetTestClient());

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(503), body);
            Assert.That(took, Is.LessThan(ProbeLimit));
            Assert.That(Checks(body), Is.EquivalentTo(new Dictionary<string, string> { ["ledger-db"] = "Unhealthy", ["redis"] = "Unhealthy" }));
        });
    }

    [Test]
    public void A_readiness_check_without_its_connection_string_stops_the_service_at_start()
    {
        var failure = Assert.CatchAsync(async () =>
        {
            await using var app = await TestApp.StartAsync(configure: builder => builder.AddMySqlReadiness("ledger-db", "Missing"));
        });
        Assert.That(failure!.Message, Does.Contain("ConnectionStrings:Missing is not set"));
    }

    internal static Dictionary<string, string> Checks(string body) =>
        JsonDocument.Parse(body).RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(check => check.GetProperty("name").GetString()!, check => check.GetProperty("status").GetString()!);

    private static Task<WebApplication> StartAsync(string mySql, string redisConfiguration, Action<WebApplicationBuilder>? configure = null) =>
        TestApp.StartAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:Ledger"] = mySql, ["ConnectionStrings:Redis"] = redisConfiguration },
            builder =>
            {
                builder.AddMySqlReadiness("ledger-db", "Ledger").AddRedisReadiness("Redis");
                configure?.Invoke(builder);
            });

    private static async Task<(int Status, string Body, TimeSpan Took)> ProbeAsync(HttpClient client)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync("/health/ready");
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, body, watch.Elapsed);
    }
}
