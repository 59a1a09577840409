using Banking.Messaging.Audit;
using Banking.Messaging.Groups;
using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Sagas;

/// <summary>
/// The saga instances one group touched, and their timeline rows. An instance is loaded once per group, locked
/// (<c>SELECT ... FOR UPDATE</c>) until the group commits: two events of one transfer in one group run one after the
/// other on the same object, as they would one transaction after the other. Written in the group's closing batch:
/// new instances in one INSERT, changed ones in one UPDATE, timeline rows in one INSERT.
/// </summary>
internal sealed class SagaRows<TSaga>(GroupTransaction group, EntityRows rows, string correlationColumn, Func<Type, EntityRows> rowsOf, ISagaCorrelation<TSaga>? correlation)
    : IGroupParticipant
    where TSaga : class, ISaga
{
    private readonly HashSet<Guid> preloaded = [];
    private bool preloadDone;
    private readonly Dictionary<Guid, TSaga> loaded = [];
    private readonly Dictionary<Guid, TSaga> added = [];
    private readonly HashSet<Guid> changed = [];
    private readonly HashSet<Guid> deleted = [];
    private readonly List<object> journal = [];

    public async Task<TSaga?> LoadAsync(Guid correlationId, CancellationToken cancellationToken)
    {
        if (deleted.Contains(correlationId)) return null;
        if (added.TryGetValue(correlationId, out var fresh) || loaded.TryGetValue(correlationId, out fresh)) return fresh;
        if (!preloadDone) await PreloadAsync(cancellationToken);
        if (loaded.TryGetValue(correlationId, out fresh)) return fresh;
        if (preloaded.Contains(correlationId)) return null;

        await using var command = group.Command($"SELECT {rows.SelectList} FROM `{rows.Table}` WHERE `{correlationColumn}` = ? FOR UPDATE");
        command.Parameters.Add(new MySqlConnector.MySqlParameter { Value = correlationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        var instance = (TSaga)rows.Read(reader);
        loaded.Add(correlationId, instance);
        return instance;
    }

    /// <summary>
    /// Every instance the group's messages belong to, locked in one statement, in key order (two groups lock in the
    /// same order, so they cannot deadlock). An id without a row stays known as absent: its first event creates it.
    /// </summary>
    private async Task PreloadAsync(CancellationToken cancellationToken)
    {
        preloadDone = true;
        if (correlation is null) return;
        var ids = group.Members.Where(m => m.WillConsume).Select(m => correlation.CorrelationIdOf(m.Message)).OfType<Guid>().Distinct().Order().ToList();
        if (ids.Count < 2) return;

        await using var command = group.Command(
            $"SELECT {rows.SelectList} FROM `{rows.Table}` WHERE `{correlationColumn}` IN ({GroupWrites.Placeholders(ids.Count)}) ORDER BY `{correlationColumn}` FOR UPDATE");
        foreach (var id in ids) command.Parameters.Add(new MySqlConnector.MySqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var instance = (TSaga)rows.Read(reader);
            loaded.TryAdd(instance.CorrelationId, instance);
        }

        preloaded.UnionWith(ids);
    }

    public void Add(TSaga instance)
    {
        added[instance.CorrelationId] = instance;
        deleted.Remove(instance.CorrelationId);
        TakeJournal(instance);
    }

    public void Update(TSaga instance)
    {
        if (!added.ContainsKey(instance.CorrelationId)) changed.Add(instance.CorrelationId);
        TakeJournal(instance);
    }

    public void Delete(TSaga instance)
    {
        if (!added.Remove(instance.CorrelationId)) deleted.Add(instance.CorrelationId);
        changed.Remove(instance.CorrelationId);
    }

    public void AddWrites(GroupWrites writes)
    {
        rows.AddInserts(writes, added.Values);
        rows.AddUpdates(writes, [.. changed.Where(id => !deleted.Contains(id)).Select(id => (object)loaded[id])]);
        foreach (var id in deleted.Where(loaded.ContainsKey)) rows.AddDelete(writes, loaded[id]);
        foreach (var type in journal.GroupBy(r => r.GetType())) rowsOf(type.Key).AddInserts(writes, [.. type]);
    }

    private void TakeJournal(TSaga instance)
    {
        if (instance is not ISagaJournal saga) return;
        foreach (var row in saga.TakeNewRows())
        {
            // What the instance wants in the audit trail is chained on the group's endpoint, not stored as a plain row.
            if (row is AuditEntry entry) group.Participant(g => new GroupAuditTrail(g)).Add(entry);
            else journal.Add(row);
        }
    }
}

/// <summary>One message's view of the saga table inside a group (<see cref="SagaRows{TSaga}"/>).</summary>
internal sealed class GroupSagaRepositoryContext<TSaga, TMessage>(DbContext db, ConsumeContext<TMessage> context, ISagaConsumeContextFactory<DbContext, TSaga> factory, SagaRows<TSaga> rows)
    : SagaRepositoryContextBase<TSaga, TMessage>(db, context, factory)
    where TSaga : class, ISaga
    where TMessage : class
{
    /// <summary>State machines with InsertOnInitial: an instance that exists (in the group or the table) is loaded instead.</summary>
    public override async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        if (await rows.LoadAsync(instance.CorrelationId, CancellationToken) is not null) return null!;
        rows.Add(instance);
        return await ContextFor(instance, SagaConsumeContextMode.Insert);
    }

    public override async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = await rows.LoadAsync(correlationId, CancellationToken);
        return instance is null ? null! : await ContextFor(instance, SagaConsumeContextMode.Load);
    }

    public override Task Save(SagaConsumeContext<TSaga> sagaContext)
    {
        rows.Add(sagaContext.Saga);
        return Task.CompletedTask;
    }

    public override Task Update(SagaConsumeContext<TSaga> sagaContext)
    {
        rows.Update(sagaContext.Saga);
        return Task.CompletedTask;
    }

    public override Task Delete(SagaConsumeContext<TSaga> sagaContext)
    {
        rows.Delete(sagaContext.Saga);
        return Task.CompletedTask;
    }

    // The member failed: the whole group rolls back and runs again, with instances loaded afresh.
    public override Task Undo(SagaConsumeContext<TSaga> sagaContext) => Task.CompletedTask;
}
