using Banking.Messaging.Audit;
using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

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
        var audit = AddJournalRows(instance);
        try
        {
            await Db.SaveChangesAsync(CancellationToken);
        }
        catch (DbUpdateException)
        {
            entry.State = EntityState.Detached;
            return null!;
        }

        // Only once the row is in: an instance that lost the race to insert never happened.
        await AppendAuditAsync(audit);

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
        var audit = AddJournalRows(sagaContext.Saga);
        await Db.SaveChangesAsync(CancellationToken);
        await AppendAuditAsync(audit);
    }

    public override async Task Update(SagaConsumeContext<TSaga> sagaContext)
    {
        var audit = AddJournalRows(sagaContext.Saga);
        await Db.SaveChangesAsync(CancellationToken);
        await AppendAuditAsync(audit);
    }

    /// <summary>The instance is tracked by this DbContext (added or loaded FOR UPDATE): its journal joins the same SaveChanges.</summary>
    /// <returns>The instance's audit entries, chained by <see cref="AppendAuditAsync"/> once its row is saved.</returns>
    private List<AuditEntry> AddJournalRows(TSaga instance)
    {
        if (instance is not ISagaJournal journal) return [];
        var rows = journal.TakeNewRows();
        Db.AddRange(rows.Where(r => r is not AuditEntry));
        return [.. rows.OfType<AuditEntry>()];
    }

    private async Task AppendAuditAsync(List<AuditEntry> audit)
    {
        if (audit.Count == 0) return;
        var transaction = Db.Database.CurrentTransaction?.GetDbTransaction() as MySqlConnector.MySqlTransaction
            ?? throw new InvalidOperationException("a saga's audit entries are chained in the transaction that saves it");
        await AuditChain.AppendAsync((MySqlConnector.MySqlConnection)transaction.Connection!, transaction, AuditChain.ChainOf(this), audit, CancellationToken);
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
