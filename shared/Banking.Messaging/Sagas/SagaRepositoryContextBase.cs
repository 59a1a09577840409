using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Sagas;

/// <summary>
/// What both views of the saga table share, alone (<see cref="MySqlSagaRepositoryContext{TSaga,TMessage}"/>) or in a
/// group: the message's scope carries the DbContext as a payload, and every saga consume context is made by
/// MassTransit's factory on that DbContext. How instances are found and written is each view's own.
/// </summary>
public abstract class SagaRepositoryContextBase<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
{
    private readonly ConsumeContext<TMessage> context;
    private readonly ISagaConsumeContextFactory<DbContext, TSaga> factory;

    protected SagaRepositoryContextBase(DbContext db, ConsumeContext<TMessage> context, ISagaConsumeContextFactory<DbContext, TSaga> factory)
        : base(context, db)
    {
        Db = db;
        this.context = context;
        this.factory = factory;
    }

    protected DbContext Db { get; }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) => ContextFor(instance, SagaConsumeContextMode.Add);

    public abstract Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance);

    public abstract Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId);

    public abstract Task Save(SagaConsumeContext<TSaga> sagaContext);

    public abstract Task Update(SagaConsumeContext<TSaga> sagaContext);

    public abstract Task Delete(SagaConsumeContext<TSaga> sagaContext);

    public Task Discard(SagaConsumeContext<TSaga> sagaContext) => Task.CompletedTask;

    public abstract Task Undo(SagaConsumeContext<TSaga> sagaContext);

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        factory.CreateSagaConsumeContext(Db, consumeContext, instance, mode);

    /// <summary>The saga context of an instance this message added, inserted or loaded.</summary>
    protected Task<SagaConsumeContext<TSaga, TMessage>> ContextFor(TSaga instance, SagaConsumeContextMode mode) =>
        factory.CreateSagaConsumeContext(Db, context, instance, mode);
}
