using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Banking.Messaging.Outbox;

/// <summary>
/// Deletes inbox rows delivered longer ago than the duplicate-detection window. Several instances may run it at
/// once: each statement deletes what it finds, and a row deleted twice is simply not there the second time.
/// </summary>
public sealed class InboxCleanupService<TDbContext>(IServiceScopeFactory scopes, IOptions<InboxCleanupOptions> options, ILogger<InboxCleanupService<TDbContext>> logger)
    : BackgroundService
    where TDbContext : DbContext
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CleanUpAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Inbox cleanup failed; it runs again in {Interval}", options.Value.CleanupInterval);
            }
        }
    }

    /// <summary>Deletes every expired row, batch by batch; returns how many.</summary>
    public async Task<int> CleanUpAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var cutoff = DateTime.UtcNow - settings.DuplicateDetectionWindow;
        var total = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
            var deleted = await db.Database.ExecuteSqlInterpolatedAsync(
                $"DELETE FROM inbox_state WHERE delivered IS NOT NULL AND delivered < {cutoff} ORDER BY delivered LIMIT {settings.BatchSize}",
                cancellationToken);
            total += deleted;
            if (deleted < settings.BatchSize) break;
        }

        if (total > 0) logger.LogInformation("Inbox cleanup removed {Count} rows delivered before {Cutoff:O}", total, cutoff);
        return total;
    }
}
