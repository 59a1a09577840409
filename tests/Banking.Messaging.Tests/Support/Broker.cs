using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace Banking.Messaging.Tests.Support;

/// <summary>Plain AMQP on the test's virtual host: what a queue holds, and messages as another system would publish them.</summary>
public sealed class Broker(Uri address)
{
    public Uri Address { get; } = address;

    /// <summary>Messages ready in a queue (0 when it does not exist). Unacknowledged messages are not counted.</summary>
    public async Task<uint> ReadyAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>A MassTransit envelope put on a queue by a client that gives it no message id at all.</summary>
    public async Task SendWithoutMessageIdAsync(string queue, object message, string messageType)
    {
        var envelope = new Dictionary<string, object?>
        {
            ["messageType"] = new[] { $"urn:message:{typeof(Broker).Namespace}:{messageType}" },
            ["message"] = message,
            ["sentTime"] = DateTime.UtcNow,
            ["headers"] = new Dictionary<string, object>(),
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(envelope, new JsonSerializerOptions(JsonSerializerDefaults.Web));

        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
    }

    /// <summary>The first message's headers, left in the queue (MassTransit's fault headers on an _error queue).</summary>
    public async Task<IReadOnlyDictionary<string, string>> PeekHeadersAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var result = await channel.BasicGetAsync(queue, autoAck: false) ?? throw new InvalidOperationException($"{queue} is empty");
        var headers = (result.BasicProperties.Headers ?? new Dictionary<string, object?>())
            .ToDictionary(h => h.Key, h => h.Value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), null => "", var v => v.ToString() ?? "" });
        await channel.BasicNackAsync(result.DeliveryTag, multiple: false, requeue: true);
        return headers;
    }

    /// <summary>
    /// Moves every message from one queue to another unchanged (body, message id, headers), as an operator moves
    /// messages back from an error queue; returns how many.
    /// </summary>
    public async Task<int> MoveAsync(string from, string to)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var moved = 0;
        while (await channel.BasicGetAsync(from, autoAck: false) is { } message)
        {
            var properties = new BasicProperties(message.BasicProperties);
            await channel.BasicPublishAsync("", to, mandatory: true, properties, message.Body);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false);
            moved++;
        }

        return moved;
    }

    private Task<IConnection> ConnectAsync() => new ConnectionFactory { Uri = Address }.CreateConnectionAsync();
}
