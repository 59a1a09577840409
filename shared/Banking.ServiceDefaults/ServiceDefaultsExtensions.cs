using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Banking.ServiceDefaults;

/// <summary>What every Banking service has: masked JSON logs, traces and metrics, health probes.</summary>
public static class ServiceDefaultsExtensions
{
    /// <param name="logOutput">Where log lines go; <c>null</c> (services) means stdout. Tests pass a writer to read them back.</param>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, TextWriter? logOutput = null)
    {
        // Before anything can build a MassTransit bus.
        BusExtensions.DisableUsageTelemetryForProcess();

        builder.Services.AddOptions<ServiceOptions>()
            .BindConfiguration(ServiceOptions.Section)
            .PostConfigure<IHostEnvironment>((options, environment) =>
            {
                if (string.IsNullOrWhiteSpace(options.Name)) options.Name = environment.ApplicationName;
            });

        builder.AddBankingLogging(logOutput);
        builder.AddBankingTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }

    /// <summary>
    /// <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>. They stay anonymous and outside rate limits
    /// and HTTP metrics: the platform's probes and Prometheus call them, not customers.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthTags.Live) })
            .ForProbes();

        // MassTransit tags its bus check "ready" (checked against 8.5.12), so the broker is part of readiness without extra wiring.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Ready),
            ResponseWriter = HealthCheckExtensions.WriteReport,
        }).ForProbes();

        app.MapPrometheusScrapingEndpoint("/metrics").ForProbes();
        return app;
    }

    private static IEndpointConventionBuilder ForProbes(this IEndpointConventionBuilder endpoint) =>
        endpoint.AllowAnonymous().DisableRateLimiting().DisableHttpMetrics();
}
