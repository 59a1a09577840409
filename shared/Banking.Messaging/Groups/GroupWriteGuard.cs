using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace Banking.Messaging.Groups;

/// <summary>
/// Refuses a SaveChanges made while a group member runs on a DbContext that is not in the group's transaction: such a
/// write would commit on its own, before or without the group, and the message's effect would no longer be exactly
/// once. It fails the member instead (<see cref="ConsumerWrites.ThroughGroupOnly"/> endpoints, or a second context).
/// </summary>
public sealed class GroupWriteGuard : SaveChangesInterceptor
{
    public static readonly GroupWriteGuard Instance = new();

    private static readonly AsyncLocal<GroupTransaction?> Running = new();

    private GroupWriteGuard()
    {
    }

    /// <summary>Marks the group a member runs in, for the rest of the member's own flow.</summary>
    internal static void Enter(GroupTransaction? group) => Running.Value = group;

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Check(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Check(DbContext? context)
    {
        if (Running.Value is not { } group || context is null) return;
        if (group.Transaction is not null && context.Database.CurrentTransaction?.GetDbTransaction() == group.Transaction) return;
        throw new InvalidOperationException(
            $"{context.GetType().Name} saved changes outside the transaction of the message group it runs in; behind an endpoint " +
            $"declared {nameof(ConsumerWrites.ThroughGroupOnly)} a consumer writes through the group, not through its DbContext");
    }
}
