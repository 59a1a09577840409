using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Banking.ServiceDefaults;

public static class HealthCheckExtensions
{
    /// <summary>The liveness check (the process answers) and the readiness settings.</summary>
    public static IHostApplicationBuilder AddDefaultHealthChecks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthCheckSettings>()
            .BindConfiguration(HealthCheckSettings.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [HealthTags.Live]);
        builder.Services.AddSingleton<IHealthCheckPublisher, HealthGauges>();
        builder.Services.AddOptions<HealthCheckPublisherOptions>().Configure<IOptions<HealthCheckSettings>>((publisher, settings) =>
        {
            publisher.Delay = TimeSpan.FromSeconds(2);
            publisher.Period = settings.Value.PublishPeriod;
            publisher.Timeout = settings.Value.Timeout * 2;
        });
        return builder;
    }

    /// <summary>Readiness on a MySQL/MariaDB database: a fresh connection and <c>SELECT 1</c>.</summary>
    /// <param name="name">The check's name in <c>/health/ready</c>, e.g. <c>ledger-db</c>.</param>
    /// <param name="connectionStringName">E.g. <c>Ledger</c> for <c>ConnectionStrings:Ledger</c>.</param>
    public static IHostApplicationBuilder AddMySqlReadiness(this IHostApplicationBuilder builder, string name, string connectionStringName)
    {
        RequireConnectionString(builder, connectionStringName);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name,
            services => new MySqlReadinessCheck(ConnectionString(services, connectionStringName), Timeout(services)),
            failureStatus: HealthStatus.Unhealthy,
            tags: [HealthTags.Ready]));
        return builder;
    }

    /// <summary>Readiness on Redis: PING, through the registered <see cref="IConnectionMultiplexer"/> if there is one.</summary>
    public static IHostApplicationBuilder AddRedisReadiness(this IHostApplicationBuilder builder, string connectionStringName = "Redis", string name = "redis")
    {
        RequireConnectionString(builder, connectionStringName);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name,
            services => new RedisReadinessCheck(
                ConnectionString(services, connectionStringName), services.GetService<IConnectionMultiplexer>(), Timeout(services),
                services.GetService<ServerCertificates>()),
            failureStatus: HealthStatus.Unhealthy,
            tags: [HealthTags.Ready]));
        return builder;
    }

    /// <summary>Every check and its status, so an operator sees which dependency is down.</summary>
    internal static Task WriteReport(HttpContext context, HealthReport report)
    {
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds),
            checks = report.Entries.Select(entry => new
            {
                name = entry.Key,
                status = entry.Value.Status.ToString(),
                description = entry.Value.Description,
                durationMs = Math.Round(entry.Value.Duration.TotalMilliseconds),
            }),
        };
        return context.Response.WriteAsJsonAsync(body, JsonSerializerOptions.Web, "application/json; charset=utf-8");
    }

    // Checked when the host starts rather than at the first probe, so a typo fails the deployment, not the readiness.
    private static void RequireConnectionString(IHostApplicationBuilder builder, string connectionStringName) =>
        builder.Services.AddOptions<HealthCheckSettings>().Validate<IConfiguration>(
            (_, configuration) => !string.IsNullOrWhiteSpace(configuration.GetConnectionString(connectionStringName)),
            $"ConnectionStrings:{connectionStringName} is not set.");

    private static string ConnectionString(IServiceProvider services, string connectionStringName) =>
        services.GetRequiredService<IConfiguration>().GetConnectionString(connectionStringName)
        ?? throw new InvalidOperationException($"ConnectionStrings:{connectionStringName} is not set.");

    private static TimeSpan Timeout(IServiceProvider services) =>
        services.GetRequiredService<IOptions<HealthCheckSettings>>().Value.Timeout;
}
