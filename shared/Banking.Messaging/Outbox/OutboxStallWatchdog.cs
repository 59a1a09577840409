using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Banking.Messaging.Outbox;

/// <summary>
/// Stops the service when an outbox step neither finishes nor fails. Seen in the fault suite after a RabbitMQ
/// restart: a confirmed send waited forever on the broker client's topology setup, the consume never completed,
/// so MassTransit could not restart the receive endpoint; the queue had no consumer while the bus reported healthy.
/// Nothing inside the process recovers from that, a new process does: every step is its own transaction, the
/// message is still unacknowledged, and the broker redelivers it to the restarted service, whose inbox resumes
/// where the stalled step left off. The exit code tells the supervisor (systemd, Compose, Kubernetes) why.
/// </summary>
public sealed class OutboxStallWatchdog(IOptions<OutboxStallOptions> options, IHostApplicationLifetime lifetime, ILogger<OutboxStallWatchdog> logger)
{
    /// <summary>The process exit code after a stall (EX_TEMPFAIL: try again).</summary>
    public const int ExitCode = 75;

    private int stalled;

    public bool Stalled => Volatile.Read(ref stalled) == 1;

    /// <summary>Awaits <paramref name="step"/>; past the stall timeout, stops the service and goes on waiting.</summary>
    public async Task<T> Watch<T>(Task<T> step, Guid messageId, string messageType)
    {
        try
        {
            return await step.WaitAsync(options.Value.StallTimeout);
        }
        catch (TimeoutException) when (!step.IsFaulted)
        {
            // A step that finished just as the timeout fired is not stalled: its own outcome stands.
            if (!step.IsCompleted) OnStalled(messageId, messageType);
            // Neither acknowledge nor fault the message: the stopping bus cancels the step, or the process ends.
            return await step;
        }
    }

    private void OnStalled(Guid messageId, string messageType)
    {
        if (Interlocked.Exchange(ref stalled, 1) == 1) return;

        var settings = options.Value;
        logger.LogCritical(
            "Outbox step of message {MessageId} ({MessageType}) has neither finished nor failed after {StallTimeout}: stopping the service so it restarts with new broker connections; the message stays unacknowledged and is redelivered",
            messageId, messageType, settings.StallTimeout);
        Environment.ExitCode = ExitCode;

        // A graceful stop waits for the stalled consume; past the grace the process ends without it (crash-safe by design).
        var stopped = new CancellationTokenSource();
        lifetime.ApplicationStopped.Register(() => stopped.Cancel());
        _ = Task.Delay(settings.StopGrace, stopped.Token).ContinueWith(
            _ => Environment.FailFast($"outbox step of message {messageId} stalled and the service did not stop within {settings.StopGrace}"),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        lifetime.StopApplication();
    }
}
