using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Sagas;

/// <summary>One message's view of the saga table, inside the transaction of <see cref="MySqlSagaRepositoryContextFactory{TDbContext,TSaga}"/>.</summary>
public sealed class MySqlSagaRepositoryContext<TSaga, TMessage>(DbContext db, ConsumeContext<TMessage> context, ISagaConsumeContextFactory<DbContext, TSaga> factory, string lockStatement)
    : SagaRepositoryContextBase<TSaga, TMessage>(db, context, factory)
    where TSaga : class, ISaga
    where TMessage : class
{
    /// <summary>
    /// Inserts up front (state machines with InsertOnInitial). A duplicate key means another delivery created the
    /// instance first: InnoDB rolls back only the failed statement, so the caller goes on to <see cref="Load"/>,
    /// which waits for that transaction and sees its row.
    /// </summary>
    public override async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        var entry = Db.Set<TSaga>().Add(instance);
        AddJournalRows(instance);
        try
        {
            await Db.SaveChangesAsync(CancellationToken);
        }
        catch (DbUpdateException)
        {
            entry.State = EntityState.Detached;
            return null!;
        }

        return await ContextFor(instance, SagaConsumeContextMode.Insert);
    }

    public override async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await Db.Set<TSaga>()
            .FromSqlRaw(lockStatement, correlationId)
            .AsTracking()
            .SingleOrDefaultAsync(CancellationToken);

        return instance is null
            ? null!
            : await ContextFor(instance, SagaConsumeContextMode.Load);
    }

    /// <summary>
    /// A new instance. Two first events racing for one id both find nothing; the second insert fails on the key
    /// and its message is retried, then loads the instance the first one created.
    /// </summary>
    public override async Task Save(SagaConsumeContext<TSaga> sagaContext)
    {
        Db.Set<TSaga>().Add(sagaContext.Saga);
        AddJournalRows(sagaContext.Saga);
        await Db.SaveChangesAsync(CancellationToken);
    }

    public override async Task Update(SagaConsumeContext<TSaga> sagaContext)
    {
        AddJournalRows(sagaContext.Saga);
        await Db.SaveChangesAsync(CancellationToken);
    }

    /// <summary>The instance is tracked by this DbContext (added or loaded FOR UPDATE): its journal joins the same SaveChanges.</summary>
    private void AddJournalRows(TSaga instance)
    {
        if (instance is ISagaJournal journal) Db.AddRange(journal.TakeNewRows());
    }

    public override async Task Delete(SagaConsumeContext<TSaga> sagaContext)
    {
        Db.Set<TSaga>().Remove(sagaContext.Saga);
        await Db.SaveChangesAsync(CancellationToken);
    }

    public override Task Undo(SagaConsumeContext<TSaga> sagaContext)
    {
        var entry = Db.ChangeTracker.Entries<TSaga>().FirstOrDefault(e => e.Entity.CorrelationId == sagaContext.Saga.CorrelationId);
        if (entry is not null) entry.State = entry.State == EntityState.Added ? EntityState.Detached : EntityState.Unchanged;
        return Task.CompletedTask;
    }
}
