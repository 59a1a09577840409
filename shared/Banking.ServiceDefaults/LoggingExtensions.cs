using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Banking.ServiceDefaults;

public static class LoggingExtensions
{
    private static readonly Dictionary<string, LogEventLevel> DefaultOverrides = new()
    {
        ["Microsoft.AspNetCore"] = LogEventLevel.Warning,
        ["Microsoft.EntityFrameworkCore.Database.Command"] = LogEventLevel.Warning,
        ["MassTransit"] = LogEventLevel.Information,
        // One line per outgoing request at Information would drown everything else.
        ["System.Net.Http.HttpClient"] = LogEventLevel.Warning,
    };

    /// <summary>
    /// Log events the console has not taken yet. Beyond this many, new events are dropped (and counted, see
    /// <see cref="LogBufferMonitor"/>) rather than making the service wait: a consume or a request never blocks on
    /// a slow console or a full disk.
    /// </summary>
    public const int BufferedEvents = 10_000;

    /// <summary>
    /// Serilog, compact JSON, one line per event, with account numbers and secrets masked, written by a background
    /// thread from a bounded buffer (<see cref="BufferedEvents"/>); the buffer is emptied when the service stops.
    /// Only the minimum levels are read from the <c>Serilog</c> section: sinks are not, because a sink
    /// added from configuration would bypass the masking.
    /// </summary>
    /// <param name="output">Where the lines go; <c>null</c> means stdout. Tests pass a writer to read them back.</param>
    public static IHostApplicationBuilder AddBankingLogging(this IHostApplicationBuilder builder, TextWriter? output = null)
    {
        // Read when the container is built, so configuration added late (WebApplicationFactory) still counts.
        builder.Services.AddSerilog((services, logger) =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var service = services.GetRequiredService<IOptions<ServiceOptions>>().Value;
            ApplyMinimumLevels(logger, configuration.GetSection("Serilog:MinimumLevel"));
            logger
                .Enrich.FromLogContext()
                .Enrich.WithProperty("service", service.Name)
                .Enrich.With<TraceContextEnricher>()
                .WriteTo.Async(
                    sink => sink.Sink(new TextWriterSink(new MaskingFormatter(new RenderedCompactJsonFormatter()), output ?? Console.Out)),
                    BufferedEvents, blockWhenFull: false, monitor: LogBufferMonitor.Instance);
        }, preserveStaticLogger: true);

        return builder;
    }

    // Same shape as Serilog.Settings.Configuration: "MinimumLevel": "Debug" or { "Default": ..., "Override": { ... } }.
    private static void ApplyMinimumLevels(LoggerConfiguration logger, IConfigurationSection section)
    {
        logger.MinimumLevel.Is(ParseLevel(section.Value ?? section["Default"], section.Path, LogEventLevel.Information));

        var overrides = new Dictionary<string, LogEventLevel>(DefaultOverrides);
        foreach (var entry in section.GetSection("Override").GetChildren())
        {
            overrides[entry.Key] = ParseLevel(entry.Value, entry.Path, LogEventLevel.Information);
        }

        foreach (var (source, level) in overrides) logger.MinimumLevel.Override(source, level);
    }

    private static LogEventLevel ParseLevel(string? value, string path, LogEventLevel fallback)
    {
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        return Enum.TryParse<LogEventLevel>(value, ignoreCase: true, out var level) && Enum.IsDefined(level)
            ? level
            : throw new OptionsValidationException(path, typeof(LogEventLevel), [$"{path}: '{value}' is not a Serilog level (Verbose, Debug, Information, Warning, Error, Fatal)."]);
    }
}
