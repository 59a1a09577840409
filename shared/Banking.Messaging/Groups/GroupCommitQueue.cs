using System.Collections.Concurrent;
using System.Data;
using System.Diagnostics;
using System.Threading.Channels;
using Banking.Messaging.Audit;
using Banking.Messaging.Outbox;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Banking.Messaging.Groups;

/// <summary>
/// Group commit for one receive endpoint: the messages its consumers take concurrently are written in one
/// transaction, one after the other, on one long-lived connection.
/// <list type="number">
/// <item>claim the inbox rows of the whole group in one statement (<c>INSERT ... ON DUPLICATE KEY UPDATE</c>, in key
/// order, so two groups never lock them in opposite orders) and read them back locked (<c>FOR UPDATE</c>): a
/// concurrent copy of a message waits here for the first one's commit;</item>
/// <item>run each member's consumer (saga, ledger) on the group's transaction; what they change is collected by the
/// group's participants and what they send is captured;</item>
/// <item>write everything in one batch (the participants' rows, the outbox rows) and commit once;</item>
/// <item>deliver: on a second connection, lock the group's inbox rows again, send every captured message with its
/// broker confirm (all at once, so the confirms overlap), mark the rows delivered and drop the outbox rows in one
/// commit, then acknowledge every member. The next group's transaction runs meanwhile.</item>
/// </list>
/// Where no DbContext joins the group (<see cref="ConsumerWrites.ThroughGroupOnly"/>) and always for the delivery,
/// the transaction is opened by the first batch's <c>START TRANSACTION</c> and committed by the last batch's
/// <c>COMMIT</c>, not by a round trip of its own each: a group is then three round trips (claim, the consumers' reads,
/// the closing batch; a fourth to lock the audit chain's head when the endpoint holds no head it committed itself, see
/// <see cref="AuditHeadCache"/>) and its delivery two (lock, record). The connections are the queue's
/// own, unpooled, with the isolation level set once per session, and a connection that failed inside a transaction
/// is closed, never reused, which makes the server roll it back.
/// A member that fails rolls the group back; the others run again together and the failing one alone, so one bad
/// message never poisons the others. A group of one adds nothing: a member that arrives at a quiet endpoint starts
/// at once (<see cref="GroupCommitOptions.MaxWait"/> is zero by default). A crash anywhere leaves the messages
/// unacknowledged: the broker redelivers them, the inbox says how far each got (not consumed: consume; consumed:
/// deliver the stored rows; delivered: acknowledge).
/// </summary>
internal sealed class GroupCommitQueue : IAsyncDisposable
{
    private readonly Channel<GroupMember> arrivals = Channel.CreateUnbounded<GroupMember>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<List<GroupMember>> again = new();
    private readonly SemaphoreSlim deliveries;
    private readonly CancellationTokenSource stopping = new();
    private readonly string endpoint;
    private readonly string connectionString;
    private readonly GroupCommitOptions options;
    private readonly GroupCommitMetrics metrics;
    private readonly ILogger logger;
    private readonly Task loop;
    private readonly bool statementsOwnTransaction;
    private readonly ConcurrentBag<MySqlConnection> idleDeliveryConnections = [];
    private readonly AuditHeadCache auditHeads = new(TimeProvider.System, TimeSpan.FromSeconds(30));
    private MySqlConnection? connection;

    public GroupCommitQueue(string endpoint, string connectionString, GroupCommitOptions options, GroupCommitMetrics metrics, ILogger logger, ConsumerWrites consumerWrites)
    {
        this.endpoint = endpoint;
        this.connectionString = DedicatedConnection(connectionString);
        statementsOwnTransaction = consumerWrites == ConsumerWrites.ThroughGroupOnly;
        this.options = options;
        this.metrics = metrics;
        this.logger = logger;
        deliveries = new SemaphoreSlim(options.DeliveriesInFlight);
        // The loop serves every message of the endpoint: it must not carry the trace or log scope of the first one.
        using (ExecutionContext.SuppressFlow()) loop = Task.Run(RunAsync);
    }

    /// <summary>Completes when the member's transaction is committed and everything it sent is confirmed by the broker.</summary>
    public Task<bool> EnqueueAsync(GroupMember member)
    {
        if (!arrivals.Writer.TryWrite(member)) throw new InvalidOperationException($"the group commit of {endpoint} has stopped");
        return member.Completion.Task;
    }

    private async Task RunAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            List<GroupMember>? group;
            try
            {
                group = await NextGroupAsync();
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (group is null) break;
            await RunGroupAsync(group);
        }
    }

    /// <summary>
    /// The members that ran again after a failed group go first; otherwise whatever has arrived, up to the group
    /// size. A member that must run alone closes the group before it, and runs in the next.
    /// </summary>
    private async Task<List<GroupMember>?> NextGroupAsync()
    {
        if (again.TryDequeue(out var retried)) return retried;
        if (!await arrivals.Reader.WaitToReadAsync(stopping.Token)) return null;

        var group = new List<GroupMember>();
        var waitUntil = options.MaxWait > TimeSpan.Zero ? Stopwatch.GetTimestamp() + (long)(options.MaxWait.TotalSeconds * Stopwatch.Frequency) : 0;
        while (group.Count < options.MaxGroupSize)
        {
            if (arrivals.Reader.TryPeek(out var next))
            {
                if (next.RunAlone && group.Count > 0) break;
                arrivals.Reader.TryRead(out _);
                group.Add(next);
                if (next.RunAlone) break;
                continue;
            }

            var left = waitUntil - Stopwatch.GetTimestamp();
            if (left <= 0) break;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            wait.CancelAfter(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
            try
            {
                if (!await arrivals.Reader.WaitToReadAsync(wait.Token)) break;
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                break;
            }
        }

        return group;
    }

    private async Task RunGroupAsync(List<GroupMember> members)
    {
        // A member whose receive endpoint is stopping (its broker connection is gone) is not written: failing it at
        // once lets MassTransit finish the endpoint's consumes and reconnect; the broker redelivers the message.
        foreach (var gone in members.Where(m => m.Context.CancellationToken.IsCancellationRequested).ToList())
        {
            gone.Completion.TrySetException(new OperationCanceledException("the message's receive endpoint stopped before its group ran", gone.Context.CancellationToken));
            members.Remove(gone);
        }

        if (members.Count == 0) return;
        var started = Stopwatch.GetTimestamp();
        GroupMember? failing = null;
        GroupTransaction? committed = null;
        try
        {
            var db = await ConnectionAsync();
            // Named, not Unspecified: MySqlConnector sets the isolation level before every transaction it begins (for
            // Unspecified, REPEATABLE READ, whose gap locks deadlock two groups claiming inbox rows at once). READ
            // COMMITTED also lets the group's plain reads (a ledger's recorded operations) see what committed before.
            await using var transaction = statementsOwnTransaction ? null : await db.BeginTransactionAsync(IsolationLevel.ReadCommitted, stopping.Token);
            try
            {
                var group = new GroupTransaction(db, transaction, members, endpoint) { AuditHeads = auditHeads };
                await ClaimInboxRowsAsync(group);
                foreach (var member in members)
                {
                    if (member.Inbox is { WasConsumed: true }) continue;
                    failing = member;
                    await member.ConsumeInOwnContextAsync(group);
                    failing = null;
                }

                var writes = new GroupWrites();
                await group.AddWritesAsync(writes, stopping.Token);
                OutboxRows.AddConsumed(writes, members);
                OutboxRows.AddOutgoing(writes, members);
                if (transaction is null)
                {
                    writes.Add("COMMIT");
                    await writes.ExecuteAsync(db, null, stopping.Token);
                }
                else
                {
                    await writes.ExecuteAsync(db, transaction, stopping.Token);
                    await transaction.CommitAsync(stopping.Token);
                }

                committed = group;
            }
            catch
            {
                await RollBackQuietlyAsync(db, transaction);
                throw;
            }
        }
        catch (Exception e)
        {
            OnGroupFailed(members, failing, e);
            return;
        }

        metrics.GroupCommitted(endpoint, members.Count, Stopwatch.GetElapsedTime(started));
        RunAfterCommit(committed!);
        await deliveries.WaitAsync();
        _ = DeliverAsync(members);
    }

    // Committed is committed: what runs after it (metrics) may fail, but must never make the members run again.
    private void RunAfterCommit(GroupTransaction group)
    {
        foreach (var action in group.AfterCommit)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "An after-commit action on {Endpoint} failed; the group stays committed", endpoint);
            }
        }
    }

    /// <summary>
    /// One member failed: the others run again together (without it nothing suggests they would fail) and it runs
    /// alone after them. A failure no member can be blamed for (the claim, the closing batch, the commit) sends every
    /// member to run alone. A member that fails alone fails its delivery: MassTransit's retry and error queue take over.
    /// </summary>
    private void OnGroupFailed(List<GroupMember> members, GroupMember? failing, Exception error)
    {
        if (error is MySqlException or IOException or InvalidOperationException { Source: "MySqlConnector" }) DropConnection();
        // Its closing batch may have met another writer of the audit chain: the same group again, reading the head.
        if (auditHeads.Failed() && failing is null && error is MySqlException)
        {
            metrics.AuditHeadMoved(endpoint);
            logger.LogDebug(error, "A group of {Count} messages on {Endpoint} failed on the audit chain's head; it runs again reading the head", members.Count, endpoint);
            foreach (var member in members) member.Reset();
            again.Enqueue(members);
            return;
        }

        if (members.Count == 1)
        {
            members[0].Completion.TrySetException(error);
            return;
        }

        metrics.GroupFailed(endpoint, members.Count);
        logger.LogDebug(error, "A group of {Count} messages on {Endpoint} failed; its members run again", members.Count, endpoint);
        foreach (var member in members) member.Reset();
        if (failing is not null)
        {
            var others = members.Where(m => m != failing).ToList();
            if (others.Count > 0) again.Enqueue(others);
            failing.RunAlone = true;
            again.Enqueue([failing]);
            return;
        }

        foreach (var member in members)
        {
            member.RunAlone = true;
            again.Enqueue([member]);
        }
    }

    private async Task ClaimInboxRowsAsync(GroupTransaction group)
    {
        var lockId = NewId.NextGuid();
        var claims = await OutboxRows.ClaimAsync(group, lockId, DateTime.UtcNow, startTransaction: group.Transaction is null, stopping.Token);
        var first = new HashSet<(Guid, Guid)>();
        foreach (var member in group.Members)
        {
            var key = (member.MessageId, member.ConsumerId);
            var claim = claims.TryGetValue(key, out var found)
                ? found
                : throw new InvalidOperationException($"inbox row of message {member.MessageId} was not claimed");
            member.Inbox = first.Add(key) ? claim : claim with { WasConsumed = true, WasDelivered = true, IsCopyInGroup = true };
        }
    }

    /// <summary>
    /// Sends what the group's members produced, under the lock of their inbox rows, so a copy of the same message
    /// being handled elsewhere either waits for this delivery or finds it done; marks the rows delivered and removes
    /// the outbox rows in one commit; then acknowledges the members.
    /// </summary>
    private async Task DeliverAsync(List<GroupMember> members)
    {
        try
        {
            var waiting = members.Where(m => m.Inbox is not { WasDelivered: true }).ToList();
            if (waiting.Count > 0) await DeliverUnderLockAsync(waiting);
            foreach (var member in members) member.Completion.TrySetResult(true);
        }
        catch (Exception e)
        {
            foreach (var member in members) member.Completion.TrySetException(e);
        }
        finally
        {
            deliveries.Release();
        }
    }

    private async Task DeliverUnderLockAsync(List<GroupMember> members)
    {
        if (!idleDeliveryConnections.TryTake(out var db)) db = await OpenAsync();
        var reusable = false;
        try
        {
            await DeliverUnderLockAsync(db, members);
            reusable = true;
        }
        finally
        {
            if (reusable && !stopping.IsCancellationRequested)
            {
                idleDeliveryConnections.Add(db);
            }
            else
            {
                // Failed inside its transaction: closing it is the rollback. The idle ones likely lost the same server.
                await db.DisposeAsync();
                while (idleDeliveryConnections.TryTake(out var idle)) await idle.DisposeAsync();
            }
        }
    }

    private async Task DeliverUnderLockAsync(MySqlConnection db, List<GroupMember> members)
    {
        var group = new GroupTransaction(db, null, members);
        var undelivered = await OutboxRows.LockUndeliveredAsync(group, stopping.Token);
        var toSend = members.Where(m => undelivered.Contains(m.Inbox!.Id)).ToList();

        // A copy whose first delivery was consumed elsewhere (or before a crash) sends what that one stored.
        var stored = toSend.Where(m => !m.Inbox!.IsNew).ToList();
        if (stored.Count > 0) await OutboxRows.LoadStoredAsync(group, stored, stopping.Token);

        // Bounded whether or not the broker client honours cancellation: after a broker restart a send (or finding its
        // endpoint) can wait on a connection that only comes back once every consume in flight has finished. The
        // members then fail, their consumes end, the connection recovers and the broker redelivers them.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource([stopping.Token, .. toSend.Select(m => m.Context.CancellationToken).Distinct()]);
        timeout.CancelAfter(options.DeliveryTimeout);
        await Task.WhenAll(toSend.SelectMany(m => m.Outgoing.Select(message => SendAsync(m, message, timeout.Token))))
            .WaitAsync(timeout.Token);

        var writes = new GroupWrites();
        OutboxRows.AddDelivered(writes, toSend, DateTime.UtcNow);
        writes.Add("COMMIT");
        await writes.ExecuteAsync(db, null, stopping.Token);
        metrics.MessagesDelivered(endpoint, toSend.Sum(m => m.Outgoing.Count));
    }

    private static async Task SendAsync(GroupMember member, OutboxMessage message, CancellationToken cancellationToken)
    {
        if (message.DestinationAddress is null) throw new InvalidOperationException($"outbox message {message.MessageId} has no destination");

        // MassTransit's own outbox test switch, honoured the same way: the first delivery of such a message fails.
        if (member.Context.GetRetryAttempt() == 0 && (((MassTransit.MessageContext)message).Headers.Get<bool>("MT-Fail-Delivery") ?? false))
            throw new ApplicationException("Simulated Delivery Failure Requested");
        var endpoint = await member.Context.GetSendEndpoint(message.DestinationAddress);
        await endpoint.Send(new SerializedMessageBody(), new OutboxMessageSendPipe(message, message.DestinationAddress), cancellationToken);
    }

    private async Task<MySqlConnection> ConnectionAsync()
    {
        if (connection is { State: ConnectionState.Open }) return connection;
        DropConnection();
        connection = await OpenAsync();
        return connection;
    }

    /// <summary>
    /// A connection of the queue's own, READ COMMITTED for the whole session (what the transactions begun by a
    /// statement run at; MySqlConnector's own begin sets the same level again) and in strict mode.
    /// </summary>
    private async Task<MySqlConnection> OpenAsync()
    {
        var opened = new MySqlConnection(connectionString);
        try
        {
            await opened.OpenAsync(stopping.Token);
            // Strict mode whatever the server's default: the audit chain's writes rely on a NULL being refused.
            await using var command = new MySqlCommand(
                "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; " +
                "SET SESSION sql_mode = IF(FIND_IN_SET('STRICT_TRANS_TABLES', @@SESSION.sql_mode) > 0, @@SESSION.sql_mode, CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_TRANS_TABLES'))",
                opened);
            await command.ExecuteNonQueryAsync(stopping.Token);
            return opened;
        }
        catch
        {
            await opened.DisposeAsync();
            throw;
        }
    }

    private void DropConnection()
    {
        connection?.Dispose();
        connection = null;
    }

    private async Task RollBackQuietlyAsync(MySqlConnection db, MySqlTransaction? transaction)
    {
        try
        {
            if (transaction is not null)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                return;
            }

            await using var rollback = new MySqlCommand("ROLLBACK", db);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception)
        {
            // The connection may be gone; the server rolls back on its own then. Never reused half-way through.
            DropConnection();
        }
    }

    /// <summary>
    /// The queue's connections are its own for as long as it runs: nothing to gain from the pool, and a closed one
    /// must really close (that is the rollback of a transaction its statements opened). They change no session state
    /// but the isolation level, set once, so they need no reset round trip either.
    /// </summary>
    private static string DedicatedConnection(string connectionString) =>
        new MySqlConnectionStringBuilder(connectionString) { ConnectionReset = false, Pooling = false }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        arrivals.Writer.TryComplete();
        await stopping.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
        }

        // Nothing is acknowledged that was not committed and delivered: the broker hands these to the next instance.
        var stopped = new OperationCanceledException($"the group commit of {endpoint} stopped");
        while (again.TryDequeue(out var left)) foreach (var member in left) member.Completion.TrySetException(stopped);
        while (arrivals.Reader.TryRead(out var member)) member.Completion.TrySetException(stopped);

        DropConnection();
        while (idleDeliveryConnections.TryTake(out var idle)) await idle.DisposeAsync();
        stopping.Dispose();
    }
}
