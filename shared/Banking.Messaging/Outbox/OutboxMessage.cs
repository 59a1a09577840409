using MassTransit;
using MassTransit.Context;
using MassTransit.Metadata;
using MassTransit.Middleware;
using MassTransit.Serialization;

namespace Banking.Messaging.Outbox;

/// <summary>
/// A message a consumer sent or published (<c>outbox_message</c>), stored in its transaction and delivered after
/// commit with its original message id and headers, so a receiver's inbox recognises a repeated delivery.
/// </summary>
public class OutboxMessage : OutboxMessageContext
{
    private Headers? headers;
    private IReadOnlyDictionary<string, object>? properties;

    public long SequenceNumber { get; set; }
    public Guid MessageId { get; set; }
    public Guid InboxMessageId { get; set; }
    public Guid InboxConsumerId { get; set; }
    public string ContentType { get; set; } = "";
    public string MessageType { get; set; } = "";
    public string Body { get; set; } = "";
    public string? Headers { get; set; }
    public string? Properties { get; set; }
    public Guid? ConversationId { get; set; }
    public Guid? CorrelationId { get; set; }
    public Guid? InitiatorId { get; set; }
    public Guid? RequestId { get; set; }
    public Uri? SourceAddress { get; set; }
    public Uri? DestinationAddress { get; set; }
    public Uri? ResponseAddress { get; set; }
    public Uri? FaultAddress { get; set; }
    public DateTime SentTime { get; set; }
    public DateTime? ExpirationTime { get; set; }

    Guid? MessageContext.MessageId => MessageId;
    DateTime? MessageContext.SentTime => SentTime;
    Headers MessageContext.Headers => headers ?? EmptyHeaders.Instance;
    HostInfo MessageContext.Host => HostMetadataCache.Host;
    IReadOnlyDictionary<string, object> OutboxMessageContext.Properties => properties ?? NoProperties;

    private static readonly IReadOnlyDictionary<string, object> NoProperties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Restores the headers and transport properties stored as JSON, before the message is sent again.</summary>
    public void RestoreFrom(IObjectDeserializer deserializer)
    {
        var stored = string.IsNullOrWhiteSpace(Headers) ? null : deserializer.DeserializeObject<Dictionary<string, object?>>(Headers);
        headers = stored is { Count: > 0 } ? new DictionarySendHeaders(stored!) : EmptyHeaders.Instance;
        properties = string.IsNullOrWhiteSpace(Properties)
            ? NoProperties
            : deserializer.DeserializeObject<Dictionary<string, object>>(Properties) ?? NoProperties;
    }

    public static OutboxMessage From<T>(SendContext<T> context, IObjectDeserializer serializer, Guid inboxMessageId, Guid inboxConsumerId)
        where T : class
    {
        var messageId = context.MessageId ?? throw new MessageException(typeof(T), "a message stored in the outbox needs a MessageId");
        var now = DateTime.UtcNow;
        var message = new OutboxMessage
        {
            MessageId = messageId,
            InboxMessageId = inboxMessageId,
            InboxConsumerId = inboxConsumerId,
            ContentType = context.ContentType?.ToString() ?? context.Serialization.DefaultContentType.ToString(),
            MessageType = string.Join(";", context.SupportedMessageTypes),
            Body = context.Serializer.GetMessageBody(context).GetString(),
            ConversationId = context.ConversationId,
            CorrelationId = context.CorrelationId,
            InitiatorId = context.InitiatorId,
            RequestId = context.RequestId,
            SourceAddress = context.SourceAddress,
            DestinationAddress = context.DestinationAddress,
            ResponseAddress = context.ResponseAddress,
            FaultAddress = context.FaultAddress,
            SentTime = context.SentTime ?? now,
            ExpirationTime = context.TimeToLive is { } ttl ? now + ttl : null,
        };

        var sentHeaders = context.Headers.GetAll().ToDictionary(h => h.Key, h => (object?)h.Value);
        var storedHeaders = serializer.SerializeDictionary(sentHeaders!);
        if (storedHeaders is { Length: > 0 }) message.Headers = storedHeaders;
        // Kept as they are for the delivery right after the commit: only a redelivery needs to read them back.
        message.headers = sentHeaders.Count > 0 ? new DictionarySendHeaders(sentHeaders) : EmptyHeaders.Instance;
        message.properties = NoProperties;

        if (context is TransportSendContext<T> transport)
        {
            var transportProperties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            transport.WritePropertiesTo(transportProperties);
            if (transportProperties.Count > 0)
            {
                message.Properties = serializer.SerializeDictionary(transportProperties);
                message.properties = transportProperties;
            }
        }

        return message;
    }
}
