using System.Data;
using Banking.Messaging.Groups;
using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Banking.Messaging.Sagas;

/// <summary>
/// Loads and stores saga instances of <typeparamref name="TSaga"/> in MySQL through <typeparamref name="TDbContext"/>.
/// Concurrency is pessimistic: an event loads its instance with <c>SELECT ... FOR UPDATE</c>, so two events for one
/// transfer run one after the other, each seeing what the previous one committed.
/// <para>
/// Behind the transactional outbox the factory joins the transaction the outbox opened on the same scoped DbContext,
/// so the instance, the inbox row and the messages the saga sent commit together. On its own it opens a
/// READ COMMITTED transaction per message.
/// </para>
/// </summary>
public sealed class MySqlSagaRepositoryContextFactory<TDbContext, TSaga>(
    TDbContext db,
    ISagaConsumeContextFactory<DbContext, TSaga> consumeContextFactory,
    IServiceProvider services)
    : ISagaRepositoryContextFactory<TSaga>
    where TDbContext : DbContext
    where TSaga : class, ISaga
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        // Behind the group commit the instance is read and written with the group's other rows, without the change tracker.
        if (services.GetService<GroupMembership>()?.Current is { } group)
        {
            var rows = group.Participant(g => new SagaRows<TSaga>(g, SagaTable(), CorrelationColumn(), type => EntityRows.For(db, type),
                services.GetService<ISagaCorrelation<TSaga>>()));
            await next.Send(new GroupSagaRepositoryContext<TSaga, T>(db, context, consumeContextFactory, rows));
            return;
        }

        if (db.Database.CurrentTransaction is not null)
        {
            await SendWithin(context, next);
            return;
        }

        // The transaction rolls back as a whole on failure; EF Core's savepoints around SaveChanges would only add round trips.
        db.Database.AutoSavepointsEnabled = false;
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken);
            try
            {
                await SendWithin(context, next);
                await transaction.CommitAsync(context.CancellationToken);
            }
            catch
            {
                await RollBackQuietly(transaction);
                throw;
            }
        });
    }

    private async Task SendWithin<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        var repositoryContext = new MySqlSagaRepositoryContext<TSaga, T>(db, context, consumeContextFactory, LockStatement());
        await next.Send(repositoryContext);
    }

    /// <summary>
    /// Correlation by anything but the id (a saga query) would lock by a range scan; our sagas correlate by id only,
    /// and a state machine configured otherwise fails loudly here instead of running without row locks.
    /// </summary>
    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException($"{typeof(TSaga).Name} correlates by CorrelationId only; query correlation is not supported by the MySQL saga repository.");

    public void Probe(ProbeContext context)
    {
        var scope = context.CreateScope("sagaRepository");
        scope.Add("persistence", "mysql");
        scope.Add("concurrency", "pessimistic");
    }

    // The saga's table and correlation column as its EF model maps them, read once per model (EntityRows caches it).
    private EntityRows SagaTable() => EntityRows.For(db, typeof(TSaga));

    private string CorrelationColumn() => SagaTable().ColumnOf(nameof(ISaga.CorrelationId));

    private string LockStatement() => $"SELECT * FROM `{SagaTable().Table}` WHERE `{CorrelationColumn()}` = {{0}} FOR UPDATE";

    private static async Task RollBackQuietly(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
        catch (Exception)
        {
            // The connection may be gone; the server rolls back on its own then.
        }
    }
}
