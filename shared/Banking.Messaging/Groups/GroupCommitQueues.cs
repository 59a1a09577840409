using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Banking.Messaging.Groups;

/// <summary>One group commit per receive endpoint and database, started with the endpoint's first message.</summary>
public sealed class GroupCommitQueues(IOptions<GroupCommitOptions> options, GroupCommitMetrics metrics, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Endpoint, string ConnectionString), Lazy<GroupCommitQueue>> queues = new();

    internal GroupCommitQueue For(string endpoint, string connectionString) =>
        queues.GetOrAdd((endpoint, connectionString), key => new Lazy<GroupCommitQueue>(() =>
            new GroupCommitQueue(key.Endpoint, key.ConnectionString, options.Value, metrics, loggers.CreateLogger<GroupCommitQueue>()))).Value;

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
