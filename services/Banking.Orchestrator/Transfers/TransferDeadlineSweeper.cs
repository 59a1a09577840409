using System.Diagnostics;
using Banking.Contracts.Transfers;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.StateMachines;
using Banking.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Transfers;

/// <summary>
/// The durable timeout: every <see cref="TransferOptions.SweepInterval"/> it looks in <c>bank_core</c> for
/// transfers whose step is past its deadline and publishes <see cref="TransferStepTimedOut"/>; the state machine
/// re-sends the step and sets the next deadline. Because deadlines live on the saga row, a restart or a crash of
/// any orchestrator instance loses none, and several instances may sweep at once: a timeout names the step, attempt
/// and deadline it saw, so the saga acts on it once and never on a later step's behalf.
/// </summary>
public sealed class TransferDeadlineSweeper(
    IServiceScopeFactory scopes,
    IOptions<TransferOptions> options,
    TransferMetrics metrics,
    ILogger<TransferDeadlineSweeper> logger) : BackgroundService
{
    private const int BatchSize = 200;

    // Deadlines this instance already announced; the saga moves the deadline when it handles one.
    private readonly Dictionary<(string TransferId, string Step, int Attempt, DateTime Deadline), DateTime> announced = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A database or broker outage must not end the sweeper: the deadlines are still on disk for the next round.
                logger.LogWarning(e, "Deadline sweep failed; retrying in {Interval}", options.Value.SweepInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// A span under the one that opened the transfer (its stored <c>traceparent</c>); none for a transfer opened
    /// without a trace, whose timeout then starts a trace of its own as before.
    /// </summary>
    private static Activity? ContinueTransferTrace(string? traceParent, string transferId)
    {
        if (!ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent)) return null;
        var span = BankingTelemetry.ActivitySource.StartActivity("transfer step timed out", ActivityKind.Internal, parent);
        span?.SetTag(BankingTelemetry.TransferIdTag, transferId);
        return span;
    }

    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoreDbContext>();
        var now = DateTime.UtcNow;

        var overdue = await db.Transfers.AsNoTracking()
            .Where(t => t.NextAttemptAt != null && t.NextAttemptAt <= now)
            .OrderBy(t => t.NextAttemptAt)
            .Select(t => new { t.TransferId, t.CurrentState, t.StepAttempt, t.NextAttemptAt, t.TraceParent })
            .Take(BatchSize)
            .ToListAsync(cancellationToken);

        var publisher = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        var reannounceAfter = options.Value.StepTimeout;
        foreach (var transfer in overdue)
        {
            var key = (transfer.TransferId, transfer.CurrentState, transfer.StepAttempt, transfer.NextAttemptAt!.Value);
            if (announced.TryGetValue(key, out var at) && now - at < reannounceAfter) continue;

            // The timeout, and the step the saga sends again for it, belong to the transfer's trace, not to the sweep's.
            using (var span = ContinueTransferTrace(transfer.TraceParent, transfer.TransferId))
            {
                await publisher.Publish(new TransferStepTimedOut
                {
                    TransferId = transfer.TransferId,
                    Step = transfer.CurrentState,
                    Attempt = transfer.StepAttempt,
                    DeadlineUtc = transfer.NextAttemptAt!.Value,
                }, cancellationToken);
            }

            announced[key] = now;
            metrics.StepTimedOut();
        }

        foreach (var stale in announced.Where(a => now - a.Value > reannounceAfter * 4).Select(a => a.Key).ToList())
        {
            announced.Remove(stale);
        }

        var stuckBefore = now - options.Value.StuckThreshold;
        var inFlight = TransferStateMachine.InFlightStates;
        // One pass over the in-flight rows gives both the count per state and how many of them are stuck.
        var waiting = await db.Transfers.AsNoTracking()
            .Where(t => inFlight.Contains(t.CurrentState))
            .GroupBy(t => t.CurrentState)
            .Select(g => new { State = g.Key, Count = g.Count(), Stuck = g.Count(t => t.CreatedAt < stuckBefore) })
            .ToListAsync(cancellationToken);
        var atRisk = await db.Transfers.AsNoTracking()
            .Where(t => t.AmountAtRisk != null)
            .SumAsync(t => (decimal?)t.AmountAtRisk, cancellationToken) ?? 0m;
        var byState = inFlight.ToDictionary(state => state, state => waiting.FirstOrDefault(w => w.State == state)?.Count ?? 0, StringComparer.Ordinal);
        metrics.Observe(waiting.Sum(w => w.Stuck), atRisk, byState);
    }
}
