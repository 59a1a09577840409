using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Banking.ServiceDefaults;

public static class TelemetryExtensions
{
    /// <summary>
    /// Traces (ASP.NET Core, HttpClient, MassTransit, ours) and metrics (the same plus the runtime), scraped by
    /// Prometheus at <c>/metrics</c>; pushed over OTLP as well only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
    /// (traces alone when only <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> is).
    /// </summary>
    public static IHostApplicationBuilder AddBankingTelemetry(this IHostApplicationBuilder builder)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddDetector(services =>
                new ServiceNameDetector(services.GetRequiredService<IOptions<ServiceOptions>>().Value.Name)))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddSource(BankingTelemetry.MassTransitSourceName, BankingTelemetry.ActivitySourceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(BankingTelemetry.MassTransitSourceName, BankingTelemetry.MeterName, BankingTelemetry.MessagingMeterName)
                .AddPrometheusExporter());

        // The endpoint, headers and protocol come from the standard OTEL_EXPORTER_OTLP_* variables. The traces' own endpoint
        // pushes traces alone: a trace backend such as Jaeger takes no metrics, and Prometheus scrapes them anyway.
        // AddOtlpExporter reads only the shared variables, so that one is applied here, as the full URL the standard says it is.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry
                .WithTracing(tracing => tracing.AddOtlpExporter())
                .WithMetrics(metrics => metrics.AddOtlpExporter());
        }
        else if (Uri.TryCreate(builder.Configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], UriKind.Absolute, out var traces))
        {
            telemetry.WithTracing(tracing => tracing.AddOtlpExporter(otlp => otlp.Endpoint = traces));
        }

        return builder;
    }

    // Probes hit these every few seconds; tracing them would bury the transfers.
    internal static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    private sealed class ServiceNameDetector(string serviceName) : IResourceDetector
    {
        public Resource Detect() => ResourceBuilder.CreateEmpty().AddService(serviceName).Build();
    }
}
