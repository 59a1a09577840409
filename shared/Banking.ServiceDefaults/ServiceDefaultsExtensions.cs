using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

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

        builder.Services.AddServerCertificates();
        builder.Services.AddBusinessCalendar();
        builder.Services.AddHsts(hsts => hsts.MaxAge = TimeSpan.FromDays(365));

        builder.AddBankingLogging(logOutput);
        builder.AddBankingTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }

    /// <summary>
    /// <see cref="TlsOptions"/>, checked when the host starts (a missing CA file fails the deployment, not the first
    /// connection), and <see cref="ServerCertificates"/> built from them.
    /// </summary>
    public static IServiceCollection AddServerCertificates(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(ServerCertificates))) return services;
        services.AddOptions<TlsOptions>()
            .BindConfiguration(TlsOptions.Section)
            .Validate(tls => ServerCertificates.IsReadable(tls.CaCertificate), "Tls:CaCertificate must name a readable certificate file (PEM or DER).")
            .ValidateOnStart();
        services.TryAddSingleton<ServerCertificates>();
        return services;
    }

    /// <summary>
    /// <see cref="BankOptions"/>, checked when the host starts (an unknown time zone fails the deployment), and the
    /// <see cref="BusinessCalendar"/> built from them.
    /// </summary>
    public static IServiceCollection AddBusinessCalendar(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(BusinessCalendar))) return services;
        services.AddOptions<BankOptions>()
            .BindConfiguration(BankOptions.Section)
            .ValidateDataAnnotations()
            .Validate(bank => BusinessCalendar.IsKnownTimeZone(bank.BusinessTimeZone), "Bank:BusinessTimeZone must name a time zone this machine knows (IANA id, e.g. Asia/Shanghai).")
            .ValidateOnStart();
        services.TryAddSingleton(provider => new BusinessCalendar(provider.GetRequiredService<IOptions<BankOptions>>().Value.BusinessTimeZone));
        return services;
    }

    /// <summary>
    /// HSTS and redirection to HTTPS, in Production and only when this service serves HTTPS (Kestrel has a
    /// certificate): a plain-HTTP service behind a TLS-terminating proxy must not redirect its own probes.
    /// </summary>
    public static WebApplication UseHttpsWhenServed(this WebApplication app)
    {
        if (!app.Environment.IsProduction() || !ServesHttps(app.Configuration)) return app;
        app.UseHsts();
        app.UseHttpsRedirection();
        return app;
    }

    private static bool ServesHttps(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["Kestrel:Certificates:Default:Path"])
        || configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Any(endpoint => endpoint["Url"]?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true);

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
