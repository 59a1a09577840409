using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Banking.ServiceDefaults;

/// <summary>
/// What every durable queue of the bank is (<see cref="BusOptions.QueueType"/>). A quorum receive queue hands a
/// message out at most <see cref="BusOptions.DeliveryLimit"/> times and then dead-letters it, at least once, into the
/// queue's <c>_error</c> queue, where MassTransit puts the messages that fault and the dashboard counts them: a
/// poison message that kills its consumer's process on every delivery stops there instead of looping for ever. The
/// <c>_error</c> and <c>_skipped</c> queues are quorum queues too, without a limit of their own (nothing consumes them
/// but an operator).
/// </summary>
public static class DurableQueues
{
    public const string QueueTypeArgument = "x-queue-type";
    public const string DeliveryLimitArgument = "x-delivery-limit";
    public const string DeadLetterExchangeArgument = "x-dead-letter-exchange";
    public const string DeadLetterStrategyArgument = "x-dead-letter-strategy";
    public const string OverflowArgument = "x-overflow";

    private static readonly string[] ReceiveQueueOnly =
        [DeliveryLimitArgument, DeadLetterExchangeArgument, DeadLetterStrategyArgument, OverflowArgument];

    public static string ErrorQueueOf(string queue) => queue + "_error";

    /// <summary>The arguments of an <c>_error</c> or <c>_skipped</c> queue, as MassTransit and <see cref="BrokerUserSafeMove"/> declare them.</summary>
    public static IDictionary<string, object?> MoveQueueArguments(BusOptions options) =>
        options.QueueType == BrokerQueueType.Quorum
            ? new Dictionary<string, object?> { [QueueTypeArgument] = "quorum" }
            : new Dictionary<string, object?>();

    /// <summary>A receive queue's kind, its delivery limit and where it dead-letters.</summary>
    public static void ConfigureReceiveQueue(IRabbitMqReceiveEndpointConfigurator endpoint, string queue, BusOptions options)
    {
        if (options.QueueType != BrokerQueueType.Quorum) return;
        endpoint.SetQuorumQueue();
        endpoint.SetQueueArgument(DeliveryLimitArgument, options.DeliveryLimit);
        // Into the _error exchange, which MassTransit binds to the _error queue and ErrorQueueDeclarer declares at
        // start. Not the default exchange: declaring a queue that dead-letters there needs write access to it, and
        // that would let a service publish to any queue by name, around the broker's permissions.
        endpoint.SetQueueArgument(DeadLetterExchangeArgument, ErrorQueueOf(queue));
        // At least once: the message leaves the queue only when the _error queue has confirmed it. That strategy
        // needs reject-publish overflow; no length limit is set, so it never rejects a publish.
        endpoint.SetQueueArgument(DeadLetterStrategyArgument, "at-least-once");
        endpoint.SetQueueArgument(OverflowArgument, "reject-publish");
    }

    /// <summary>MassTransit declares a receive queue's _error and _skipped queues with its arguments: all but the kind are dropped.</summary>
    public static void ConfigureMoveQueues(IRabbitMqBusFactoryConfigurator bus)
    {
        bus.SendTopology.ConfigureErrorSettings = StripReceiveQueueArguments;
        bus.SendTopology.ConfigureDeadLetterSettings = StripReceiveQueueArguments;
    }

    private static void StripReceiveQueueArguments(IRabbitMqQueueBindingConfigurator queue)
    {
        foreach (var argument in ReceiveQueueOnly) queue.SetQueueArgument(argument, null);
    }
}

/// <summary>The receive queues this service declared, for <see cref="ErrorQueueDeclarer"/>.</summary>
public sealed class DurableQueueNames
{
    private readonly List<string> names = [];

    public void Add(string queue)
    {
        lock (names) names.Add(queue);
    }

    public IReadOnlyList<string> Snapshot()
    {
        lock (names) return [.. names];
    }
}

/// <summary>
/// Declares the <c>_error</c> exchange and queue of every quorum receive queue as soon as the bus is up, so that the
/// broker has somewhere to dead-letter into before MassTransit has ever faulted a message (it declares them only
/// then). One short connection with the service's own login, which may configure its queues' <c>_error</c> queues.
/// </summary>
public sealed class ErrorQueueDeclarer(
    DurableQueueNames queues,
    IOptions<BusOptions> options,
    IConfiguration configuration,
    ServerCertificates certificates,
    IBusControl configuredBus,
    ILogger<ErrorQueueDeclarer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.QueueType != BrokerQueueType.Quorum) return;
        _ = configuredBus;
        // The names are known once the bus has configured its endpoints, which resolving IBusControl (a dependency
        // of this service for that reason) has done.
        var names = queues.Snapshot();
        if (names.Count == 0) return;

        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await DeclareAsync(names, stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Declaring the error queues failed (attempt {Attempt}); trying again", attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), stoppingToken);
            }
        }
    }

    private async Task DeclareAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var broker = RabbitMqAddress.Parse(configuration.GetConnectionString("RabbitMq"));
        var factory = new ConnectionFactory
        {
            UserName = broker.Username,
            Password = broker.Password,
            VirtualHost = broker.VirtualHost,
            ClientProvidedName = "error-queue-declarer",
        };
        var endpoints = BrokerNodes.Of(broker, options.Value)
            .Select(node => new AmqpTcpEndpoint(node.Host, node.Port, broker.UseTls
                ? new SslOption(node.Host, enabled: true) { CertificateValidationCallback = certificates.Validate }
                : new SslOption()))
            .ToList();
        await using var connection = await factory.CreateConnectionAsync(endpoints, cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var arguments = DurableQueues.MoveQueueArguments(options.Value);
        foreach (var error in names.Select(DurableQueues.ErrorQueueOf))
        {
            // As MassTransit declares them when it first moves a message: a fanout exchange bound to a queue, both named {queue}_error.
            await channel.ExchangeDeclareAsync(error, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(error, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(error, error, "", cancellationToken: cancellationToken);
        }
        logger.LogInformation("Error queues of {Count} quorum queues declared", names.Count);
    }
}

/// <summary>The broker's nodes a service may connect to: the connection string's host, then <see cref="BusOptions.ClusterNodes"/>.</summary>
public static class BrokerNodes
{
    public static IReadOnlyList<(string Host, int Port)> Of(RabbitMqAddress broker, BusOptions options) =>
        [(broker.Host, broker.Port), .. Split(options.ClusterNodes).Select(node => TryParse(node, out var parsed) ? parsed : throw new FormatException($"Bus:ClusterNodes entries are host:port, not '{node}'"))];

    public static IEnumerable<string> Split(string? nodes) =>
        (nodes ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public static bool TryParse(string node, out (string Host, int Port) parsed)
    {
        var colon = node.LastIndexOf(':');
        parsed = default;
        if (colon <= 0 || !int.TryParse(node[(colon + 1)..], out var port) || port is < 1 or > 65535) return false;
        parsed = (node[..colon], port);
        return true;
    }
}
