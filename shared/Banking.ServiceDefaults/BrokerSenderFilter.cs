using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Banking.ServiceDefaults;

/// <summary>
/// Which broker login may send which message to one endpoint. RabbitMQ validates the AMQP <c>user_id</c> against the
/// connection's login, so <c>user_id</c> proves the sender; a message type without a rule passes unless
/// <see cref="EveryMessageFrom"/> is set.
/// </summary>
public sealed class BrokerSenderRules(string subject, EventId refusedEvent, string? everyMessageFrom = null)
{
    private readonly List<Rule> rules = [];

    /// <summary>What the endpoint takes, in the security event ("ledger command", "saga message").</summary>
    public string Subject { get; } = subject;
    public EventId RefusedEvent { get; } = refusedEvent;

    /// <summary>The one login every message must come from, whatever its type; null to restrict only the listed types.</summary>
    public string? EveryMessageFrom { get; } = everyMessageFrom;

    /// <summary>Messages of <typeparamref name="T"/> are accepted only from <paramref name="sender"/>.</summary>
    public BrokerSenderRules Require<T>(string sender, Func<T, string?> transferIdOf)
        where T : class
    {
        rules.Add(new Rule(context => context.HasMessageType(typeof(T)), sender,
            context => context.TryGetMessage<T>(out var message) ? transferIdOf(message.Message) : null));
        return this;
    }

    internal (string? Sender, Func<ConsumeContext, string?>? TransferIdOf) SenderFor(ConsumeContext context)
    {
        foreach (var rule in rules)
        {
            if (rule.Matches(context)) return (rule.Sender, rule.TransferIdOf);
        }

        return (EveryMessageFrom, null);
    }

    private sealed record Rule(Func<ConsumeContext, bool> Matches, string Sender, Func<ConsumeContext, string?> TransferIdOf);
}

/// <summary>
/// Defence in depth behind the broker's permissions: a message covered by <see cref="BrokerSenderRules"/> runs only
/// when its broker-validated AMQP <c>user_id</c> names the login allowed to send it. Anything else is logged as a
/// security event and moved to the queue's <c>_error</c> queue unprocessed and without retries, so nothing is moved
/// and an operator can see what was tried.
/// </summary>
public sealed class BrokerSenderFilter(BrokerSenderRules rules, ILogger<BrokerSenderFilter> logger, BrokerUserSafeMove toErrorQueue) : IFilter<ConsumeContext>
{
    /// <summary>The filter for an endpoint of this service, its logger and error queue from <paramref name="services"/>.</summary>
    public static BrokerSenderFilter For(BrokerSenderRules rules, IServiceProvider services) =>
        new(rules, services.GetRequiredService<ILogger<BrokerSenderFilter>>(), BrokerUserSafeMove.ToErrorQueueOf(services));

    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        var (sender, transferIdOf) = rules.SenderFor(context);
        var rabbit = context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery) ? delivery : null;
        var claimedUser = rabbit?.Properties.UserId;
        if (sender is null || string.Equals(claimedUser, sender, StringComparison.Ordinal))
        {
            await next.Send(context);
            return;
        }

        var messageType = context.SupportedMessageTypes.FirstOrDefault() ?? "unknown";
        var claimed = claimedUser is null ? "(none)" : Bounded(claimedUser);
        logger.LogError(rules.RefusedEvent,
            "Security: {Subject} {MessageType} for transfer {TransferId} refused: sent as broker user {ClaimedUser}, only {Sender} may send it; moved to the error queue unprocessed",
            rules.Subject, Bounded(messageType), Bounded(TransferIdOf(context, transferIdOf)), claimed, sender);
        var refusal = new BrokerSenderRefusedException(
            $"{rules.Subject}s are accepted only from broker user '{sender}'; this one came as {(claimedUser is null ? "no user" : $"'{claimed}'")}");

        // Moved here rather than thrown: no Fault is generated, so a forged message cannot make the service answer anyone
        // (its fault or response address), and the move leaves the foreign user_id behind (see BrokerUserSafeMove).
        var moved = await toErrorQueue.TryMoveAsync(context.ReceiveContext, headers =>
        {
            headers["MT-Reason"] = "fault";
            headers["MT-Fault-ExceptionType"] = refusal.GetType().FullName;
            headers["MT-Fault-Message"] = refusal.Message;
            headers["MT-Fault-Timestamp"] = DateTime.UtcNow.ToString("O");
            headers["Banking-Refused-User"] = claimed;
        });
        if (!moved) throw refusal;

        // Handled: otherwise MassTransit would move it once more, to _skipped.
        await context.NotifyConsumed(new MassTransit.Context.MessageConsumeContext<BrokerSenderRefusedException>(context, refusal), TimeSpan.Zero, nameof(BrokerSenderFilter));
    }

    public void Probe(ProbeContext context)
    {
        var scope = context.CreateFilterScope("brokerSender");
        scope.Add("subject", rules.Subject);
        if (rules.EveryMessageFrom is not null) scope.Add("sender", rules.EveryMessageFrom);
    }

    // Only for the log line: the body is read without running anything, and a forged body that does not parse is no reason to fail louder.
    private static string? TransferIdOf(ConsumeContext context, Func<ConsumeContext, string?>? transferIdOf)
    {
        try
        {
            return transferIdOf?.Invoke(context);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or MessageException)
        {
            return null;
        }
    }

    private static string? Bounded(string? value) => value is { Length: > 100 } ? value[..100] + "..." : value;
}

/// <summary>A message from a login not allowed to send it: never retried, it goes to the error queue.</summary>
public sealed class BrokerSenderRefusedException(string message) : Exception(message);
