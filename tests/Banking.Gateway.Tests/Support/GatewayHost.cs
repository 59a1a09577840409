using System.Net.Http.Headers;
using Banking.Gateway.Security;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Banking.Gateway.Tests.Support;

/// <summary>
/// The gateway booted in-process (WebApplicationFactory) on a fresh RabbitMQ virtual host and a Redis key prefix
/// of its own, with the responder playing the orchestrator and ledgers on the same virtual host.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string SigningKey = "test-signing-key-for-the-gateway-tests-0123456789";
    public const string Issuer = "banking-tests";
    public const string Audience = "banking-api-tests";
    public const string ChannelApiKey = "channel-key-for-tests";
    public const string RevokedApiKey = "revoked-key-for-tests";

    private static readonly SemaphoreSlim SharedGate = new(1, 1);
    private static GatewayHost? shared;

    private readonly WebApplicationFactory<Program> factory;

    private GatewayHost(WebApplicationFactory<Program> factory, SagaAndLedgerResponder? responder, string keyPrefix, ConnectionMultiplexer redis)
    {
        this.factory = factory;
        Responder = responder!;
        KeyPrefix = keyPrefix;
        Redis = redis;
    }

    public SagaAndLedgerResponder Responder { get; }
    public string KeyPrefix { get; }
    public ConnectionMultiplexer Redis { get; }
    public IServiceProvider Services => factory.Services;

    public static JwtOptions Jwt { get; } = new() { SigningKey = SigningKey, Issuer = Issuer, Audience = Audience };

    /// <summary>One gateway shared by the tests that need no special configuration.</summary>
    public static async Task<GatewayHost> SharedAsync()
    {
        await SharedGate.WaitAsync();
        try
        {
            return shared ??= await StartAsync("gw");
        }
        finally
        {
            SharedGate.Release();
        }
    }

    public static async Task DisposeSharedAsync()
    {
        if (shared is not null) await shared.DisposeAsync();
        shared = null;
    }

    /// <param name="overrides">Configuration on top of the test defaults (e.g. a broker address where nothing listens).</param>
    /// <param name="services">Service replacements, for fault injection.</param>
    public static async Task<GatewayHost> StartAsync(string name, IDictionary<string, string?>? overrides = null, Action<IServiceCollection>? services = null, bool withResponder = true)
    {
        var servers = await RealServers.GetAsync();
        var amqp = await servers.CreateVirtualHostAsync(name);
        var responder = withResponder ? await SagaAndLedgerResponder.StartAsync(amqp) : null;
        var keyPrefix = $"{servers.RunId}:{name}:";

        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = amqp.ToString(),
            ["ConnectionStrings:Redis"] = servers.Redis,
            ["Gateway:RedisKeyPrefix"] = keyPrefix,
            ["Gateway:SyncWaitMs"] = "5000",
            ["Gateway:PublishTimeoutMs"] = "3000",
            ["Gateway:QueryTimeoutMs"] = "1500",
            ["Gateway:MaxTransferAmount"] = "50000.00",
            ["Gateway:Currencies:0"] = "CNY",
            ["Gateway:Currencies:1"] = "USD",
            ["Gateway:Currencies:2"] = "EUR",
            ["Gateway:Currencies:3"] = "HKD",
            ["Gateway:MaxBodyBytes"] = "16384",
            ["Gateway:BalanceCacheTtl"] = "00:05:00",
            ["RateLimit:PermitLimit"] = "100000",
            ["RateLimit:Window"] = "00:01:00",
            // The channel tier is appsettings.json's (thousands per second); the others are raised so that specs sharing
            // a customer or a role are never limited by each other.
            ["RateLimit:Roles:customer:PermitLimit"] = "100000",
            ["RateLimit:Roles:operator:PermitLimit"] = "100000",
            ["RateLimit:Roles:auditor:PermitLimit"] = "100000",
            ["RateLimit:Roles:admin:PermitLimit"] = "100000",
            ["Jwt:SigningKey"] = SigningKey,
            ["Jwt:Issuer"] = Issuer,
            ["Jwt:Audience"] = Audience,
            ["ApiKeys:Keys:0:Name"] = "upstream-channel",
            ["ApiKeys:Keys:0:KeyHash"] = ApiKeyAuthenticationHandler.HashKey(ChannelApiKey),
            ["ApiKeys:Keys:0:Roles:0"] = Roles.Channel,
            ["ApiKeys:Keys:1:Name"] = "retired-system",
            ["ApiKeys:Keys:1:KeyHash"] = ApiKeyAuthenticationHandler.HashKey(RevokedApiKey),
            ["ApiKeys:Keys:1:Roles:0"] = Roles.Channel,
            ["ApiKeys:Keys:1:Revoked"] = "true",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Serilog:MinimumLevel:Override:MassTransit"] = "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;

        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            // Not Development: appsettings.Development.json (the development key and API key) must not leak into the tests.
            builder.UseEnvironment("Test");
            // As in Development: a singleton holding a scoped service fails the host at start, in every gateway spec.
            builder.UseDefaultServiceProvider(provider => { provider.ValidateScopes = true; provider.ValidateOnBuild = true; });
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
            // Read while Program builds the app (whether to add the OTLP exporter), before the factory's app configuration
            // is in: only host settings are there by then.
            foreach (var (key, value) in settings.Where(s => s.Key.StartsWith("OTEL_", StringComparison.Ordinal))) builder.UseSetting(key, value);
            if (services is not null) builder.ConfigureTestServices(services);
            // The in-memory test server has no socket, so no remote address: give every request the loopback address a
            // client on this machine would have, as the audit trail records where a request came from.
            builder.ConfigureTestServices(s => s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, LoopbackClientAddress>());
        });

        _ = factory.Server; // boots the host
        var redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis);
        var host = new GatewayHost(factory, responder, keyPrefix, redis);
        if (withResponder && settings["ConnectionStrings:RabbitMq"] == amqp.ToString()) await host.WaitUntilReadyAsync();
        return host;
    }

    /// <summary>The bus (and so the outcome queue) is connected: /health/ready answers 200.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? limit = null)
    {
        using var client = factory.CreateClient();
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await client.GetAsync("/health/ready");
            if (response.IsSuccessStatusCode) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"the gateway was not ready: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(100);
        }
    }

    public HttpClient Client() => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public HttpClient ClientAs(string role, string? clientNo = null)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(role, clientNo));
        return client;
    }

    public static string Token(string role, string? clientNo = null, TimeSpan? lifetime = null, DateTime? notBefore = null, JwtOptions? jwt = null) =>
        TokenCommand.Issue(jwt ?? Jwt, [role], clientNo, lifetime ?? TimeSpan.FromMinutes(10), subject: null, notBefore);

    public async ValueTask DisposeAsync()
    {
        await factory.DisposeAsync();
        if (Responder is not null) await Responder.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

/// <summary>Sets <c>Connection.RemoteIpAddress</c> to 127.0.0.1 where the test server left it unset.</summary>
internal sealed class LoopbackClientAddress : Microsoft.AspNetCore.Hosting.IStartupFilter
{
    public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
    {
        app.Use((context, following) =>
        {
            context.Connection.RemoteIpAddress ??= System.Net.IPAddress.Loopback;
            return following(context);
        });
        next(app);
    };
}
