using Banking.Messaging.Audit;
using Banking.Orchestrator.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using MySqlConnector;

namespace Banking.Orchestrator.Audit;

/// <summary>
/// Audit entries the orchestrator writes outside a group (the dashboard's logins, audit verifications): each in a transaction of its own on
/// <c>bank_core</c>, on its own chain.
/// </summary>
public static class CoreAuditTrail
{
    public const string DashboardChain = "dashboard";

    /// <summary>Operator API calls that are not transfer actions (those are in the saga's timeline and chain).</summary>
    public const string OperatorChain = "operator";

    public static async Task AppendAsync(CoreDbContext db, string chain, AuditEntry entry, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
            var mysql = (MySqlTransaction)transaction.GetDbTransaction();
            await AuditChain.AppendAsync((MySqlConnection)mysql.Connection!, mysql, chain, [entry], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
    }
}
