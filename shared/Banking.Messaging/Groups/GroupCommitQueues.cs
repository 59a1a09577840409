using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Banking.Messaging.Groups;

/// <summary>
/// One group commit per receive endpoint and database, started with the endpoint's first message, and what each
/// endpoint declared about its consumers' writes (<see cref="ConsumerWrites"/>).
/// </summary>
public sealed class GroupCommitQueues(IOptions<GroupCommitOptions> options, GroupCommitMetrics metrics, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Endpoint, Type Database), Lazy<GroupCommitQueue>> queues = new();
    private readonly ConcurrentDictionary<string, ConsumerWrites> writes = new();
    private readonly ConcurrentDictionary<(Uri InputAddress, Type Database), EndpointGroups> byAddress = new();

    /// <summary>
    /// The group commit of the endpoint at <paramref name="inputAddress"/> on the database of <typeparamref name="TDbContext"/>,
    /// and how its consumers write; worked out on the endpoint's first message (asking a DbContext for its connection
    /// string readies its EF Core services), then one dictionary lookup per message.
    /// </summary>
    internal EndpointGroups For<TDbContext>(Uri inputAddress, IServiceProvider provider)
        where TDbContext : DbContext
    {
        if (byAddress.TryGetValue((inputAddress, typeof(TDbContext)), out var known)) return known;
        var endpoint = EndpointName(inputAddress);
        var queue = queues.GetOrAdd((endpoint, typeof(TDbContext)), key => new Lazy<GroupCommitQueue>(() =>
        {
            var connectionString = provider.GetRequiredService<TDbContext>().Database.GetConnectionString()
                ?? throw new InvalidOperationException($"{typeof(TDbContext).Name} has no connection string for the group commit");
            return new GroupCommitQueue(key.Endpoint, connectionString, options.Value, metrics, loggers.CreateLogger<GroupCommitQueue>(),
                writes.GetValueOrDefault(key.Endpoint, ConsumerWrites.ThroughDbContext));
        })).Value;
        return byAddress.GetOrAdd((inputAddress, typeof(TDbContext)), new EndpointGroups(queue, writes.GetValueOrDefault(endpoint, ConsumerWrites.ThroughDbContext)));
    }

    internal void Declare(Uri inputAddress, ConsumerWrites consumerWrites) => writes[EndpointName(inputAddress)] = consumerWrites;

    /// <summary>The queue's name, as the endpoint's input address ends.</summary>
    private static string EndpointName(Uri inputAddress) =>
        inputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "endpoint";

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in queues.Values.Where(q => q.IsValueCreated)) await queue.Value.DisposeAsync();
        queues.Clear();
    }
}

/// <summary>
/// The group a message's DI scope is running in, if any: the saga repository and the ledger read it to work on the
/// group's transaction instead of opening their own.
/// </summary>
public sealed class GroupMembership
{
    public GroupTransaction? Current { get; private set; }

    /// <summary>The member running in this scope joins <paramref name="group"/>, for the rest of its own flow.</summary>
    internal void Enter(GroupTransaction group)
    {
        Current = group;
        GroupWriteGuard.Enter(group);
    }

    internal void Leave() => Current = null;
}

/// <summary>One endpoint's group commit and what its consumers declared about their writes.</summary>
internal sealed record EndpointGroups(GroupCommitQueue Queue, ConsumerWrites Writes);

/// <summary>How the consumers behind one endpoint's outbox write their changes.</summary>
public enum ConsumerWrites
{
    /// <summary>Through the endpoint's DbContext: each member's DbContext joins the group's connection and transaction.</summary>
    ThroughDbContext,

    /// <summary>
    /// Only through the group (the saga repository's <c>SagaRows</c>, the ledger's batched store): no member touches the
    /// DbContext, which saves the initialisation of its EF Core services per message. A consumer that saves through
    /// the DbContext all the same is refused (<see cref="GroupWriteGuard"/>).
    /// </summary>
    ThroughGroupOnly,
}
