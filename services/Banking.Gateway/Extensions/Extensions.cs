using System.Text.Json;
using Banking.Gateway.Accounts;
using Banking.Gateway.Audit;
using Banking.Gateway.Errors;
using Banking.Gateway.RateLimiting;
using Banking.Gateway.Transfers;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using MassTransit;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Banking.Gateway.Extensions;

public static class Extensions
{
    /// <summary>Options, Redis, the bus (outcome waiters, which also drop cached balances) and the transfer and account parts.</summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations()
            .Validate<IOptions<JwtOptions>>((gateway, jwt) => CacheEntrySigner.KeyMaterial(gateway, jwt.Value) is not null,
                "Gateway:CacheSigningKey must be set when Jwt:SigningKey is not (tokens verified through JWKS): cached entries are authenticated with it")
            .ValidateOnStart();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<GatewayOptions>>().Value);

        // Kestrel refuses bodies above the limit before they are read; the endpoints check again for other hosts.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayOptions>>((kestrel, gateway) =>
            kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxBodyBytes);

        services.ConfigureHttpJsonOptions(json =>
        {
            // The seed's bodies are snake_case; amounts and times are shaped by Money and Timestamps.
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        });

        builder.AddGatewayRedis();
        builder.AddGatewayBus();

        services.AddSingleton<RedisKeys>();
        services.AddSingleton<TransferRequestReader>();
        services.AddSingleton<RateLimitCounter>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<TransferAdmission>();
        services.AddSingleton<TransferStatusClient>();
        services.AddSingleton<TransferRequestPublisher>();
        services.AddSingleton<TransferOutcomes>();
        services.AddSingleton<OutcomeEndpointStatus>();
        services.AddSingleton<TransferSubmitter>();
        services.AddSingleton<LedgerBalances>();
        services.AddSingleton<LedgerStatements>();
        services.AddSingleton<CacheEntrySigner>();
        services.AddSingleton<BalanceCache>();
        services.AddSingleton<ReadAuditor>();
        services.AddHostedService(provider => provider.GetRequiredService<ReadAuditor>());
        return builder;
    }

    private static void AddGatewayRedis(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IConnectionMultiplexer>(services =>
        {
            var configuration = services.GetRequiredService<IConfiguration>().GetConnectionString("Redis")
                ?? throw new InvalidOperationException("ConnectionStrings:Redis is not set.");
            var options = ConfigurationOptions.Parse(configuration);
            // ssl=true in the connection string: the server's certificate must lead to Tls:CaCertificate.
            options.CertificateValidation += services.GetRequiredService<ServerCertificates>().Validate;
            // Start even when Redis is down, and fail fast while it is: rate limiting fails open and balances are read
            // from the ledgers, which beats requests hanging on a queue of commands Redis may never answer.
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
            options.ConnectTimeout = Math.Min(options.ConnectTimeout, 3000);
            options.AsyncTimeout = Math.Min(options.AsyncTimeout, 2000);
            options.SyncTimeout = Math.Min(options.SyncTimeout, 2000);
            return ConnectionMultiplexer.Connect(options);
        });
        builder.AddRedisReadiness();
    }

    private static void AddGatewayBus(this IHostApplicationBuilder builder)
    {
        builder.AddBankingBus(
            bus =>
            {
                // Placed on its endpoint explicitly below, not by ConfigureEndpoints.
                bus.AddConsumer<TransferOutcomeConsumer>().ExcludeFromConfigureEndpoints();
            },
            (context, cfg) =>
            {
                // Per instance and auto-deleted: each instance hears every outcome, completes the waiters it holds and
                // drops the cached balances of the transfer's accounts.
                cfg.ReceiveEndpoint(new TemporaryEndpointDefinition("gateway-outcomes"), endpoint =>
                {
                    endpoint.ConfigureConsumer<TransferOutcomeConsumer>(context);
                    endpoint.ConnectReceiveEndpointObserver(context.GetRequiredService<OutcomeEndpointStatus>());
                });
            });
    }

    /// <summary>Error bodies outermost, then routing, authentication, the per-client rate limit and authorization.</summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        app.UseMiddleware<ErrorBodies>();
        app.UseRouting();
        app.UseAuthentication();
        app.UseMiddleware<RedisRateLimiter>();
        app.UseAuthorization();
        return app;
    }
}
