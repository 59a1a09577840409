using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging;

/// <summary>
/// The server version Pomelo generates SQL for (MariaDB 10.11 here, MySQL 8.0 in docker-compose), asked of the
/// server once per connection string: detecting it for every DbContext would cost a connection each time.
/// </summary>
public static class MySqlServerVersions
{
    private static readonly ConcurrentDictionary<string, ServerVersion> Known = new();

    /// <summary>What migrations are generated for when no server is at hand.</summary>
    public static readonly ServerVersion DesignTime = new MariaDbServerVersion(new Version(10, 11));

    public static ServerVersion For(string connectionString) =>
        Known.GetOrAdd(connectionString, cs => ServerVersion.AutoDetect(cs));

    /// <summary>
    /// Pomelo with the bank's settings: retries on transient failures, a migrations history table per schema owner,
    /// and decimals kept exact (no client-side rounding).
    /// </summary>
    public static DbContextOptionsBuilder<TContext> UseBankingMySql<TContext>(this DbContextOptionsBuilder<TContext> options, string connectionString, string historyTable, ServerVersion? version = null)
        where TContext : DbContext
    {
        UseBankingMySql((DbContextOptionsBuilder)options, connectionString, historyTable, typeof(TContext).Assembly, version);
        return options;
    }

    public static DbContextOptionsBuilder UseBankingMySql(this DbContextOptionsBuilder options, string connectionString, string historyTable, Assembly migrationsAssembly, ServerVersion? version = null) =>
        options.UseMySql(connectionString, version ?? For(connectionString), mysql =>
        {
            mysql.MigrationsHistoryTable(historyTable);
            mysql.MigrationsAssembly(migrationsAssembly.GetName().Name);
            mysql.EnableRetryOnFailure(maxRetryCount: 5, maxRetryDelay: TimeSpan.FromSeconds(2), errorNumbersToAdd: null);
        }).AddInterceptors(Groups.GroupWriteGuard.Instance);
}
