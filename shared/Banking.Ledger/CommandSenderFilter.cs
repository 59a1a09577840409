using Banking.Contracts.Ledger;
using MassTransit;
using MassTransit.RabbitMqTransport;
using Microsoft.Extensions.Logging;

namespace Banking.Ledger;

/// <summary>
/// Defence in depth behind the broker's permissions: a ledger command runs only when the broker-validated AMQP
/// <c>user_id</c> names the orchestrator's login (<see cref="LedgerOptions.CommandSender"/>). Anything else is logged as
/// a security event and moved to the queue's <c>_error</c> queue unprocessed and without retries, so nothing is moved
/// and an operator can see what was tried.
/// </summary>
public sealed class CommandSenderFilter(string commandSender, ILogger<CommandSenderFilter> logger) : IFilter<ConsumeContext>
{
    public static readonly EventId CommandRefused = new(4031, "LedgerCommandSenderRefused");

    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        var rabbit = context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery) ? delivery : null;
        var claimedUser = rabbit?.Properties.UserId;
        if (string.Equals(claimedUser, commandSender, StringComparison.Ordinal))
        {
            await next.Send(context);
            return;
        }

        var messageType = context.SupportedMessageTypes.FirstOrDefault() ?? "unknown";
        logger.LogError(CommandRefused,
            "Security: ledger command {MessageType} for transfer {TransferId} refused: sent as broker user {ClaimedUser}, only {CommandSender} may send commands; moved to the error queue unprocessed",
            Bounded(messageType), Bounded(TransferIdOf(context)), claimedUser is null ? "(none)" : Bounded(claimedUser), commandSender);
        var refusal = new CommandSenderRefusedException(
            $"ledger commands are accepted only from broker user '{commandSender}'; this one came as {(claimedUser is null ? "no user" : $"'{Bounded(claimedUser)}'")}");

        // MassTransit's own move to _error copies every AMQP property, the foreign user_id included, and RabbitMQ refuses
        // that publish from our connection: the command would be redelivered for ever. So it is moved here, without it.
        if (rabbit is null || !context.ReceiveContext.TryGetPayload<ChannelContext>(out var channel)) throw refusal;
        await MoveToErrorQueueAsync(context.ReceiveContext, rabbit, channel, refusal);

        // Handled: otherwise MassTransit would move it once more, to _skipped, again with the foreign user_id.
        await context.NotifyConsumed(new MassTransit.Context.MessageConsumeContext<CommandSenderRefusedException>(context, refusal), TimeSpan.Zero, nameof(CommandSenderFilter));
    }

    private static async Task MoveToErrorQueueAsync(ReceiveContext receive, RabbitMqBasicConsumeContext delivery, ChannelContext channel, Exception refusal)
    {
        var errorQueue = receive.InputAddress.AbsolutePath.Split('/').Last() + "_error";
        await channel.ExchangeDeclare(errorQueue, "fanout", true, false, new Dictionary<string, object?>(), receive.CancellationToken);
        await channel.QueueDeclare(errorQueue, true, false, false, new Dictionary<string, object?>(), receive.CancellationToken);
        await channel.QueueBind(errorQueue, errorQueue, "", new Dictionary<string, object?>(), receive.CancellationToken);

        var properties = new RabbitMQ.Client.BasicProperties(delivery.Properties) { UserId = null };
        var headers = properties.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(properties.Headers);
        headers["MT-Reason"] = "fault";
        headers["MT-Fault-ExceptionType"] = refusal.GetType().FullName;
        headers["MT-Fault-Message"] = refusal.Message;
        headers["MT-Fault-Timestamp"] = DateTime.UtcNow.ToString("O");
        headers["MT-Host-MachineName"] = Environment.MachineName;
        headers["Banking-Refused-User"] = delivery.Properties.UserId is { } user ? Bounded(user) : "(none)";
        properties.Headers = headers;
        await channel.BasicPublishAsync(errorQueue, "", true, properties, receive.GetBody(), true, receive.CancellationToken);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("commandSender").Add("sender", commandSender);

    // Only for the log line: the body is read without running anything, and a forged body that does not parse is no reason to fail louder.
    private static string? TransferIdOf(ConsumeContext context)
    {
        try
        {
            if (context.TryGetMessage<DebitAccount>(out var debit)) return debit.Message.TransferId;
            if (context.TryGetMessage<CreditAccount>(out var credit)) return credit.Message.TransferId;
            if (context.TryGetMessage<ReverseDebit>(out var reverse)) return reverse.Message.TransferId;
            if (context.TryGetMessage<CancelDebit>(out var cancelDebit)) return cancelDebit.Message.TransferId;
            if (context.TryGetMessage<CancelCredit>(out var cancelCredit)) return cancelCredit.Message.TransferId;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or MassTransit.MessageException)
        {
        }

        return null;
    }

    private static string? Bounded(string? value) => value is { Length: > 100 } ? value[..100] + "..." : value;
}

/// <summary>A ledger command from a sender other than the orchestrator: never retried, it goes to the error queue.</summary>
public sealed class CommandSenderRefusedException(string message) : Exception(message);
