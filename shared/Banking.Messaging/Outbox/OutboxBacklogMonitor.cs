using System.Diagnostics.Metrics;
using Banking.Messaging.Groups;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace Banking.Messaging.Outbox;

/// <summary>
/// Messages committed but not yet handed to the broker: the rows of <c>outbox_message</c>, which a group's delivery
/// removes once the broker confirmed them. A healthy service keeps none for longer than a delivery takes; a backlog
/// that ages means its sends fail (broker down, a permission taken away) while its ledger keeps committing. Exported
/// as <c>banking_outbox_backlog</c> (messages) and <c>banking_outbox_oldest_age_seconds</c>.
/// </summary>
public sealed class OutboxBacklogMonitor<TDbContext> : BackgroundService
    where TDbContext : DbContext
{
    private readonly IServiceScopeFactory scopes;
    private readonly IOptions<OutboxBacklogOptions> options;
    private readonly ILogger<OutboxBacklogMonitor<TDbContext>> logger;
    private readonly Meter meter = new(GroupCommitMetrics.MeterName);
    private string? connectionString;
    private long messages;
    private double oldestAgeSeconds;

    public OutboxBacklogMonitor(IServiceScopeFactory scopes, IOptions<OutboxBacklogOptions> options, ILogger<OutboxBacklogMonitor<TDbContext>> logger)
    {
        this.scopes = scopes;
        this.options = options;
        this.logger = logger;
        meter.CreateObservableGauge("banking.outbox.backlog", () => Volatile.Read(ref messages),
            description: "Messages committed to the outbox and not yet confirmed by the broker");
        meter.CreateObservableGauge("banking.outbox.oldest_age", () => Volatile.Read(ref oldestAgeSeconds), unit: "s",
            description: "How long the oldest message in the outbox has waited for the broker");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval);
        do
        {
            try
            {
                await MeasureAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The last reading stays: a database that cannot be read is the readiness check's alarm, not this one's.
                logger.LogDebug(e, "The outbox backlog could not be read; trying again in {Interval}", options.Value.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Reads the backlog once; returns how many messages wait and how long the oldest has.</summary>
    public async Task<(long Messages, TimeSpan OldestAge)> MeasureAsync(CancellationToken cancellationToken)
    {
        if (connectionString is null)
        {
            await using var scope = scopes.CreateAsyncScope();
            connectionString = scope.ServiceProvider.GetRequiredService<TDbContext>().Database.GetConnectionString()
                ?? throw new InvalidOperationException($"{typeof(TDbContext).Name} has no connection string");
        }

        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // Ages are taken by the database's clock against the rows' UTC sent_time, so a skewed service clock cannot hide one.
        await using var command = new MySqlCommand(
            "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(sent_time), UTC_TIMESTAMP(6)), 0) FROM outbox_message", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var count = reader.GetInt64(0);
        var age = TimeSpan.FromMicroseconds(Math.Max(0, reader.GetInt64(1)));
        Volatile.Write(ref messages, count);
        Volatile.Write(ref oldestAgeSeconds, age.TotalSeconds);
        return (count, age);
    }

    public override void Dispose()
    {
        meter.Dispose();
        base.Dispose();
    }
}
