using MassTransit;
using MassTransit.Middleware;
using MassTransit.RabbitMqTransport;
using MassTransit.Transports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Banking.ServiceDefaults;

/// <summary>
/// Moves a message to its queue's <c>_error</c> or <c>_skipped</c> queue without its AMQP <c>user_id</c>. MassTransit's
/// own move copies every property, and with one broker login per service the copied <c>user_id</c> names the sender,
/// not us: RabbitMQ refuses the publish, the delivery is returned and redelivered for ever. Without RabbitMQ
/// (in-memory test harness) MassTransit's own transports are used.
/// </summary>
public sealed class BrokerUserSafeMove : IFilter<ExceptionReceiveContext>, IFilter<ReceiveContext>
{
    private readonly string suffix;
    private readonly IDictionary<string, object?> queueArguments;

    private BrokerUserSafeMove(string suffix, IDictionary<string, object?> queueArguments)
    {
        this.suffix = suffix;
        this.queueArguments = queueArguments;
    }

    /// <summary>To <c>{queue}_error</c>, declared with <paramref name="queueArguments"/> (<see cref="DurableQueues.MoveQueueArguments"/>).</summary>
    public static BrokerUserSafeMove ToErrorQueue(IDictionary<string, object?> queueArguments) => new("_error", queueArguments);

    public static BrokerUserSafeMove ToSkippedQueue(IDictionary<string, object?> queueArguments) => new("_skipped", queueArguments);

    /// <summary>To the error queue, declared as this service's <see cref="BusOptions"/> say.</summary>
    public static BrokerUserSafeMove ToErrorQueueOf(IServiceProvider services) =>
        ToErrorQueue(DurableQueues.MoveQueueArguments(services.GetRequiredService<IOptions<BusOptions>>().Value));

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (!await TryMoveAsync(context, headers =>
            {
                headers["MT-Reason"] = "fault";
                headers["MT-Fault-ExceptionType"] = context.Exception.GetType().FullName;
                headers["MT-Fault-Message"] = context.Exception.Message;
                headers["MT-Fault-Timestamp"] = context.ExceptionTimestamp.ToString("O");
                headers["MT-Fault-StackTrace"] = context.Exception.StackTrace is { Length: > 4000 } trace ? trace[..4000] : context.Exception.StackTrace;
            }))
        {
            await context.GetPayload<IErrorTransport>().Send(context);
        }

        await next.Send(context);
    }

    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        if (!await TryMoveAsync(context, headers => headers["MT-Reason"] = "skip"))
        {
            await context.GetPayload<IDeadLetterTransport>().Send(context, "skip");
        }

        await next.Send(context);
    }

    /// <summary>Moves the delivery to <c>{queue}{suffix}</c> (declared as MassTransit declares it); false when not on RabbitMQ.</summary>
    public async Task<bool> TryMoveAsync(ReceiveContext context, Action<IDictionary<string, object?>> addHeaders)
    {
        if (!context.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery) || !context.TryGetPayload<ChannelContext>(out var channel)) return false;

        var queue = context.InputAddress.AbsolutePath.Split('/').Last() + suffix;
        var none = new Dictionary<string, object?>();
        await channel.ExchangeDeclare(queue, "fanout", true, false, none, context.CancellationToken);
        await channel.QueueDeclare(queue, true, false, false, queueArguments, context.CancellationToken);
        await channel.QueueBind(queue, queue, "", none, context.CancellationToken);

        var properties = new RabbitMQ.Client.BasicProperties(delivery.Properties) { UserId = null, Expiration = null };
        var headers = properties.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(properties.Headers);
        headers["MT-Host-MachineName"] = Environment.MachineName;
        addHeaders(headers);
        properties.Headers = headers;
        await channel.BasicPublishAsync(queue, "", true, properties, context.GetBody(), true, context.CancellationToken);
        return true;
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("brokerUserSafeMove").Add("suffix", suffix);
}

public static class BrokerUserSafeMoveExtensions
{
    /// <summary>Faulted and skipped messages of this endpoint are moved without their <c>user_id</c> (see <see cref="BrokerUserSafeMove"/>).</summary>
    public static void UseBrokerUserSafeMoves(this IReceiveEndpointConfigurator endpoint, IDictionary<string, object?> queueArguments)
    {
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(BrokerUserSafeMove.ToErrorQueue(queueArguments));
        });
        endpoint.ConfigureDeadLetter(skipped => skipped.UseFilter(BrokerUserSafeMove.ToSkippedQueue(queueArguments)));
    }
}
