using Banking.Contracts;
using MassTransit;

namespace Banking.ServiceDefaults;

/// <summary>
/// A send to one of the bank's durable queues (<see cref="Endpoints.DurableQueues"/>) is mandatory: the broker returns
/// a message that no queue takes instead of dropping it, and the send fails (MassTransit's MessageReturnedException),
/// so the outbox keeps it and tries again. Needed because senders address those queues through their exchange
/// (<see cref="Endpoints.Queue"/>) and never declare them; a reply to a requester that has gone is not one of them,
/// and stays a send that may be dropped.
/// </summary>
public sealed class BankQueueSends : IFilter<SendContext>
{
    public static BankQueueSends Instance { get; } = new();

    public Task Send(SendContext context, IPipe<SendContext> next)
    {
        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit) && Endpoints.IsDurableQueue(context.DestinationAddress)) rabbit.Mandatory = true;
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("bankQueueSends");
}

public static class BankQueueRequests
{
    /// <summary>
    /// A request to one of the bank's queues that no one will answer: it timed out, or the broker returned it because
    /// no queue takes it (its service has never started on this broker). Either way the answer is "unavailable".
    /// </summary>
    public static bool IsUnanswered(Exception e) =>
        e is RequestTimeoutException or MessageReturnedException || e is RequestException { InnerException: MessageReturnedException };
}
