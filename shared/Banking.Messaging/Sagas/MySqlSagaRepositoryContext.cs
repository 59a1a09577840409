using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Sagas;

/// <summary>One message's view of the saga table, inside the transaction of <see cref="MySqlSagaRepositoryContextFactory{TDbContext,TSaga}"/>.</summary>
public sealed class MySqlSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
{
    private readonly DbContext db;
    private readonly ConsumeContext<TMessage> context;
    private readonly ISagaConsumeContextFactory<DbContext, TSaga> factory;
    private readonly string lockStatement;

    public MySqlSagaRepositoryContext(DbContext db, ConsumeContext<TMessage> context, ISagaConsumeContextFactory<DbContext, TSaga> factory, string lockStatement)
        : base(context, db)
    {
        this.db = db;
        this.context = context;
        this.factory = factory;
        this.lockStatement = lockStatement;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        factory.CreateSagaConsumeContext(db, context, instance, SagaConsumeContextMode.Add);

    /// <summary>
    /// Inserts up front (state machines with InsertOnInitial). A duplicate key means another delivery created the
    /// instance first: InnoDB rolls back only the failed statement, so the caller goes on to <see cref="Load"/>,
    /// which waits for that transaction and sees its row.
    /// </summary>
    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        var entry = db.Set<TSaga>().Add(instance);
        AddJournalRows(instance);
        try
        {
            await db.SaveChangesAsync(CancellationToken);
        }
        catch (DbUpdateException)
        {
            entry.State = EntityState.Detached;
            return null!;
        }

        return await factory.CreateSagaConsumeContext(db, context, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await db.Set<TSaga>()
            .FromSqlRaw(lockStatement, correlationId)
            .AsTracking()
            .SingleOrDefaultAsync(CancellationToken);

        return instance is null
            ? null!
            : await factory.CreateSagaConsumeContext(db, context, instance, SagaConsumeContextMode.Load);
    }

    /// <summary>
    /// A new instance. Two first events racing for one id both find nothing; the second insert fails on the key
    /// and its message is retried, then loads the instance the first one created.
    /// </summary>
    public async Task Save(SagaConsumeContext<TSaga> sagaContext)
    {
        db.Set<TSaga>().Add(sagaContext.Saga);
        AddJournalRows(sagaContext.Saga);
        await db.SaveChangesAsync(CancellationToken);
    }

    public async Task Update(SagaConsumeContext<TSaga> sagaContext)
    {
        AddJournalRows(sagaContext.Saga);
        await db.SaveChangesAsync(CancellationToken);
    }

    /// <summary>The instance is tracked by this DbContext (added or loaded FOR UPDATE): its journal joins the same SaveChanges.</summary>
    private void AddJournalRows(TSaga instance)
    {
        if (instance is ISagaJournal journal) db.AddRange(journal.TakeNewRows());
    }

    public async Task Delete(SagaConsumeContext<TSaga> sagaContext)
    {
        db.Set<TSaga>().Remove(sagaContext.Saga);
        await db.SaveChangesAsync(CancellationToken);
    }

    public Task Discard(SagaConsumeContext<TSaga> sagaContext) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> sagaContext)
    {
        var entry = db.ChangeTracker.Entries<TSaga>().FirstOrDefault(e => e.Entity.CorrelationId == sagaContext.Saga.CorrelationId);
        if (entry is not null) entry.State = entry.State == EntityState.Added ? EntityState.Detached : EntityState.Unchanged;
        return Task.CompletedTask;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        factory.CreateSagaConsumeContext(db, consumeContext, instance, mode);
}
