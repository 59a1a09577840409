using Banking.Messaging.Groups;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Banking.Messaging.Outbox;

/// <summary>
/// Where MassTransit's outbox pipeline hands a consumed message to us: it joins the group commit of its endpoint
/// (<see cref="GroupCommitQueue"/>), which claims its inbox row, runs its consumer in the group's transaction,
/// stores and delivers what it sent, and only then lets MassTransit acknowledge it.
/// <para>
/// Behind an endpoint whose consumers write through EF Core (<see cref="ConsumerWrites.ThroughDbContext"/>) the
/// member's own <typeparamref name="TDbContext"/> joins the group's connection and transaction and commits with it.
/// Behind one whose consumers write through the group only (the saga repository, the ledger) the DbContext is never
/// touched: readying its EF Core services for every message was the largest single cost of a consume.
/// </para>
/// </summary>
public sealed class MySqlOutboxContextFactory<TDbContext>(
    IServiceProvider provider,
    GroupCommitQueues queues,
    GroupMembership membership,
    OutboxStallWatchdog watchdog)
    : IOutboxContextFactory<TDbContext>
    where TDbContext : DbContext
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        // Without a message id a redelivery cannot be recognised: refusing is the only safe answer.
        var messageId = context.MessageId
            ?? throw new MessageException(typeof(T), "a message without a MessageId cannot be processed exactly once; it was refused unprocessed");

        var endpoint = queues.For<TDbContext>(context.ReceiveContext.InputAddress, provider);
        GroupMember member = endpoint.Writes == ConsumerWrites.ThroughGroupOnly
            ? new GroupWritingMember<T>(context, messageId, options, next, provider, membership)
            : new DbContextMember<T>(context, messageId, options, next, provider.GetRequiredService<TDbContext>(), provider, membership);
        await watchdog.Watch(endpoint.Queue.EnqueueAsync(member), messageId, TypeCache<T>.ShortName);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("outboxContextFactory").Add("provider", "banking-mysql-group-commit");

    /// <summary>One consumer's delivery of <typeparamref name="T"/> in a group, writing through the group only.</summary>
    private sealed class GroupWritingMember<T>(ConsumeContext<T> context, Guid messageId, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next,
        IServiceProvider provider, GroupMembership membership)
        : GroupMember(context, messageId, options.ConsumerId, TypeCache<T>.ShortName)
        where T : class
    {
        public override object Message => context.Message;

        internal override async Task ConsumeAsync(GroupTransaction group)
        {
            membership.Enter(group);
            try
            {
                await next.Send(new MySqlOutboxConsumeContext<T>(context, options, provider, this));
            }
            finally
            {
                membership.Leave();
            }
        }
    }

    /// <summary>One consumer's delivery of <typeparamref name="T"/> in a group, its DbContext joined to the group's transaction.</summary>
    private sealed class DbContextMember<T>(ConsumeContext<T> context, Guid messageId, OutboxConsumeOptions options, IPipe<OutboxConsumeContext<T>> next,
        TDbContext db, IServiceProvider provider, GroupMembership membership)
        : GroupMember(context, messageId, options.ConsumerId, TypeCache<T>.ShortName)
        where T : class
    {
        private bool joined;

        public override object Message => context.Message;

        internal override async Task ConsumeAsync(GroupTransaction group)
        {
            // EF Core's retrying strategy refuses work in a transaction it did not start unless it runs inside the
            // strategy; it must not retry either (the group decides what runs again), so a failure leaves it wrapped.
            try
            {
                await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
                {
                    try
                    {
                        await RunAsync(group);
                    }
                    catch (Exception e)
                    {
                        throw new MemberFailed(e);
                    }
                });
            }
            catch (MemberFailed failed)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failed.InnerException!).Throw();
            }
        }

        private async Task RunAsync(GroupTransaction group)
        {
            membership.Enter(group);
            try
            {
                // A rolled-back run must leave nothing tracked behind for the next one.
                db.ChangeTracker.Clear();
                if (!joined)
                {
                    db.Database.SetDbConnection(group.Connection, contextOwnsConnection: false);
                    db.Database.AutoSavepointsEnabled = false;
                    joined = true;
                }
                else if (db.Database.GetDbConnection() != group.Connection)
                {
                    await db.Database.UseTransactionAsync(null);
                    db.Database.SetDbConnection(group.Connection, contextOwnsConnection: false);
                }

                await db.Database.UseTransactionAsync(group.Transaction);
                await next.Send(new MySqlOutboxConsumeContext<T>(context, options, provider, this));
                if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(CancellationToken.None);
            }
            finally
            {
                membership.Leave();
                if (db.Database.CurrentTransaction is IDbContextTransaction) await db.Database.UseTransactionAsync(null);
            }
        }
    }

    private sealed class MemberFailed(Exception inner) : Exception(inner.Message, inner);
}
