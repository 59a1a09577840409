using System.Collections.Concurrent;
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

    /// <summary>
    /// The endpoint's group commit on the database of <paramref name="database"/>; the connection string is asked for
    /// once, when the queue starts (asking a DbContext for it costs the initialisation of its EF Core services).
    /// </summary>
    internal GroupCommitQueue For(string endpoint, Type database, Func<string> connectionString) =>
        queues.GetOrAdd((endpoint, database), key => new Lazy<GroupCommitQueue>(() =>
            new GroupCommitQueue(key.Endpoint, connectionString(), options.Value, metrics, loggers.CreateLogger<GroupCommitQueue>()))).Value;

    internal void Declare(string endpoint, ConsumerWrites consumerWrites) => writes[endpoint] = consumerWrites;

    internal ConsumerWrites WritesOf(string endpoint) => writes.GetValueOrDefault(endpoint, ConsumerWrites.ThroughDbContext);

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
    public GroupTransaction? Current { get; internal set; }
}

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
