using MassTransit;

namespace Banking.Messaging.Tests.Support;

/// <summary>
/// A settlement batch that counts its payments. Counting is a read-modify-write with a pause in the middle, so
/// two events for one batch that were not serialised by the repository's row lock would lose an increment.
/// </summary>
public sealed class SettlementBatchStateMachine : MassTransitStateMachine<SettlementBatchState>
{
    public SettlementBatchStateMachine()
    {
        InstanceState(x => x.CurrentState);

        Event(() => Opened, e => e.CorrelateById(m => m.Message.BatchId));
        // A payment for a batch that does not exist is an error someone must look at.
        Event(() => PaymentAdded, e =>
        {
            e.CorrelateById(m => m.Message.BatchId);
            e.OnMissingInstance(m => m.Fault());
        });
        // No OnMissingInstance: MassTransit's default (AnyExistingSagaPolicy with an empty pipe) fails silently.
        Event(() => FaultyPaymentAdded, e => e.CorrelateById(m => m.Message.BatchId));
        Event(() => Audited, e =>
        {
            e.CorrelateById(m => m.Message.BatchId);
            e.OnMissingInstance(m => m.Discard());
        });

        Initially(
            When(Opened).TransitionTo(Open));

        During(Open,
            Ignore(Opened),
            When(PaymentAdded)
                .ThenAsync(async context =>
                {
                    var seen = context.Saga.PaymentCount;
                    await Task.Delay(10);
                    context.Saga.PaymentCount = seen + 1;
                })
                .Publish(context => new BatchTotalChanged(context.Saga.CorrelationId, context.Saga.PaymentCount, context.Message.PaymentId)),
            When(FaultyPaymentAdded)
                .Then(context => context.Saga.PaymentCount += 1000)
                .Publish(context => new BatchTotalChanged(context.Saga.CorrelationId, context.Saga.PaymentCount, context.Message.PaymentId))
                .Then(context => throw new InvalidOperationException($"payment {context.Message.PaymentId} cannot be settled")),
            When(Audited)
                .Then(context => context.Saga.AuditCount += 1));
    }

    public State Open { get; private set; } = null!;

    public Event<BatchOpened> Opened { get; private set; } = null!;
    public Event<PaymentAdded> PaymentAdded { get; private set; } = null!;
    public Event<FaultyPaymentAdded> FaultyPaymentAdded { get; private set; } = null!;
    public Event<BatchAudited> Audited { get; private set; } = null!;
}
