using StackExchange.Redis;

namespace Banking.Security.Tests.Servers;

/// <summary>Issue 15, item 2 (server side): Redis answered anyone. Now every command needs a login, and the gateway's
/// login reaches only the gateway's keys with the commands the gateway sends.</summary>
[TestFixture]
public sealed class Redis_acl_specs
{
    private SecuredPlatform platform = null!;

    [OneTimeSetUp]
    public async Task StartThePlatform() => platform = await SecuredPlatform.GetAsync();

    [Test]
    public async Task A_command_without_a_login_is_refused_with_NOAUTH()
    {
        await using var anonymous = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{platform.Servers.RedisPort},abortConnect=false,connectTimeout=3000");
        var refused = Assert.CatchAsync(async () => await anonymous.GetDatabase().StringSetAsync("idem:anonymous", "x"));
        Assert.That(refused!.ToString(), Does.Contain("NOAUTH").Or.Contain("No connection").Or.Contain("AUTH"));
        await using var admin = await ConnectionMultiplexer.ConnectAsync(platform.Servers.Redis);
        Assert.That(await admin.GetDatabase().KeyExistsAsync("idem:anonymous"), Is.False, "nothing was written");
    }

    [TestCase("FLUSHALL")]
    [TestCase("FLUSHDB")]
    [TestCase("CONFIG", "GET", "requirepass")]
    [TestCase("KEYS", "*")]
    [TestCase("DEBUG", "SLEEP", "0")]
    [TestCase("ACL", "LIST")]
    [TestCase("SCRIPT", "FLUSH")]
    [TestCase("SHUTDOWN")]
    public async Task The_gateway_login_cannot_run_an_administrative_command(string command, params string[] arguments)
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync(platform.Servers.Redis);
        var witness = $"idem:witness-{Guid.NewGuid():N}";
        await admin.GetDatabase().StringSetAsync(witness, "kept", TimeSpan.FromMinutes(5));

        // allowAdmin: the client library would refuse these itself; the point is that the server refuses them.
        await using var gateway = await ConnectionMultiplexer.ConnectAsync(platform.Servers.GatewayRedis + ",allowAdmin=true");
        var refused = Assert.CatchAsync<RedisServerException>(async () => await gateway.GetDatabase().ExecuteAsync(command, arguments.Cast<object>().ToArray()));
        // DEBUG is also switched off in the server itself, which answers before the ACL does.
        Assert.That(refused!.Message, Does.Contain("NOPERM").Or.Contain("DEBUG command not allowed"));
        Assert.That((string?)await admin.GetDatabase().StringGetAsync(witness), Is.EqualTo("kept"), "nothing was flushed");
        await admin.GetDatabase().KeyDeleteAsync(witness);
    }

    [Test]
    public async Task The_gateway_login_writes_its_own_keys_but_no_other()
    {
        await using var gateway = await ConnectionMultiplexer.ConnectAsync(platform.Servers.GatewayRedis);
        var db = gateway.GetDatabase();
        var own = $"balance:{{spec-{Guid.NewGuid():N}}}";
        Assert.That(await db.StringSetAsync(own, "1.00", TimeSpan.FromMinutes(1)), Is.True, "its own prefix");
        var outside = $"session:{Guid.NewGuid():N}";
        var refused = Assert.CatchAsync<RedisServerException>(async () => await db.StringSetAsync(outside, "x"));
        Assert.That(refused!.Message, Does.Contain("NOPERM"));
        // A Lua script is held to the same rules for the keys it names.
        var scripted = Assert.CatchAsync<RedisServerException>(async () => await db.ScriptEvaluateAsync("return redis.call('SET', KEYS[1], 'x')", [outside]));
        Assert.That(scripted!.Message, Does.Contain("NOPERM").Or.Contain("No permissions"));

        await using var admin = await ConnectionMultiplexer.ConnectAsync(platform.Servers.Redis);
        Assert.That(await admin.GetDatabase().KeyExistsAsync(outside), Is.False);
        await admin.GetDatabase().KeyDeleteAsync(own);
    }
}
