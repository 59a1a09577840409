using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Banking.ServiceDefaults;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Banking.Orchestrator.Dashboard;

/// <summary>
/// How many messages wait in the platform's <c>_error</c> queues, where MassTransit moves what no retry could
/// consume (a refused upstream request in <c>transfer-requests_error</c>, ...). Nothing consumes them, so without
/// this nobody sees them. Read with a passive queue declare on the orchestrator's own connection: it needs neither
/// the management API's credentials nor configure permission, and costs one round trip per queue and interval.
/// Exported as <c>banking_error_queue_messages{queue="..."}</c> and shown on the dashboard; the platform's own queues
/// are read on the same round as <c>banking_queue_messages{queue="..."}</c>, for the operations dashboard.
/// </summary>
public sealed class ErrorQueueMonitor : BackgroundService
{
    private readonly IConfiguration configuration;
    private readonly IOptions<DashboardOptions> options;
    private readonly string serviceName;
    private readonly ILogger<ErrorQueueMonitor> logger;
    private readonly ServerCertificates certificates;
    private readonly ConcurrentDictionary<string, long> depths = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> workDepths = new(StringComparer.Ordinal);
    private IConnection? connection;
    private DateTime? observedAt;

    public ErrorQueueMonitor(IConfiguration configuration, IOptions<DashboardOptions> options, IOptions<ServiceOptions> service, IMeterFactory meters, ILogger<ErrorQueueMonitor> logger, ServerCertificates certificates)
    {
        this.certificates = certificates;
        this.configuration = configuration;
        this.options = options;
        serviceName = service.Value.Name;
        this.logger = logger;
        meters.Create(BankingTelemetry.MeterName).CreateObservableGauge("banking.error_queue.messages",
            () => depths.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("queue", d.Key))),
            description: "Messages in an _error queue: consumed by nobody, each one needs an operator");
        meters.Create(BankingTelemetry.MeterName).CreateObservableGauge("banking.queue.messages",
            () => workDepths.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("queue", d.Key))),
            description: "Messages ready in a platform queue, not yet taken by a consumer");
    }

    public sealed record ErrorQueueDepth(string Queue, long? Messages);

    /// <summary>The last poll's depths; a queue without a reading (broker unreachable) has <c>null</c>.</summary>
    public (IReadOnlyList<ErrorQueueDepth> Queues, DateTime? ObservedAt) Snapshot() =>
        ([.. options.Value.WatchedErrorQueues.Select(q => new ErrorQueueDepth(q, depths.TryGetValue(q, out var n) ? n : null))], observedAt);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ErrorQueuePollInterval);
        do
        {
            await PollAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(options.Value.ErrorQueuePollInterval);
        try
        {
            connection ??= await ConnectAsync(bounded.Token);
            var channel = await connection.CreateChannelAsync(cancellationToken: bounded.Token);
            try
            {
                var watched = options.Value.WatchedErrorQueues.Select(q => (Queue: q, Depths: depths))
                    .Concat(DashboardOptions.PlatformEndpoints.Select(q => (Queue: q, Depths: workDepths)));
                foreach (var (queue, into) in watched)
                {
                    try
                    {
                        into[queue] = (await channel.QueueDeclarePassiveAsync(queue, bounded.Token)).MessageCount;
                    }
                    catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
                    {
                        // MassTransit creates an error queue with its first faulted message: none yet, none waiting.
                        into[queue] = 0;
                        await channel.DisposeAsync();
                        channel = await connection.CreateChannelAsync(cancellationToken: bounded.Token);
                    }
                }
            }
            finally
            {
                await channel.DisposeAsync();
            }

            observedAt = DateTime.UtcNow;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Unknown is shown as unknown, never as an empty queue.
            depths.Clear();
            workDepths.Clear();
            logger.LogWarning("Error queue depths not read: {Reason}", e.Message);
            if (connection is not null)
            {
                try { await connection.DisposeAsync(); } catch (Exception) { /* already broken */ }
                connection = null;
            }
        }
    }

    private Task<IConnection> ConnectAsync(CancellationToken ct)
    {
        var broker = RabbitMqAddress.Parse(configuration.GetConnectionString("RabbitMq"));
        var factory = new ConnectionFactory
        {
            HostName = broker.Host,
            Port = broker.Port,
            VirtualHost = broker.VirtualHost,
            UserName = broker.Username,
            Password = broker.Password,
            ClientProvidedName = $"{serviceName} error-queue monitor",
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
            ContinuationTimeout = TimeSpan.FromSeconds(5),
            AutomaticRecoveryEnabled = false,
        };
        if (broker.UseTls) factory.Ssl = new SslOption { Enabled = true, ServerName = broker.Host, CertificateValidationCallback = certificates.Validate };
        return factory.CreateConnectionAsync(ct);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (connection is not null) await connection.DisposeAsync();
    }
}
