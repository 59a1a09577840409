using Banking.Contracts.Ledger;
using MassTransit;
using Banking.ServiceDefaults;
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

        // Moved here rather than thrown: no Fault is generated, so a forged message cannot make the ledger answer anyone
        // (its fault or response address), and the move leaves the foreign user_id behind (see BrokerUserSafeMove).
        var claimed = claimedUser is null ? "(none)" : Bounded(claimedUser);
        var moved = await BrokerUserSafeMove.ToErrorQueue.TryMoveAsync(context.ReceiveContext, headers =>
        {
            headers["MT-Reason"] = "fault";
            headers["MT-Fault-ExceptionType"] = refusal.GetType().FullName;
            headers["MT-Fault-Message"] = refusal.Message;
            headers["MT-Fault-Timestamp"] = DateTime.UtcNow.ToString("O");
            headers["Banking-Refused-User"] = claimed;
        });
        if (!moved) throw refusal;

        // Handled: otherwise MassTransit would move it once more, to _skipped.
        await context.NotifyConsumed(new MassTransit.Context.MessageConsumeContext<CommandSenderRefusedException>(context, refusal), TimeSpan.Zero, nameof(CommandSenderFilter));
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
