using System.Data;
using MySqlConnector;

namespace Banking.Orchestrator.Reconciliation;

/// <summary>
/// One consistent, read-only view of one ledger: every query inside sees the same committed state (REPEATABLE READ,
/// whatever the server's default; the local servers run READ COMMITTED). A balance change, its history row and its
/// operation record are committed together, so within one snapshot they always agree.
/// </summary>
/// <remarks>
/// MySqlConnector rather than EF: these are aggregate and window-function reads over the reconciler's own read-only
/// login, with no entity to track; the ledger's schema and migrations stay with <c>LedgerDbContext</c>.
/// </remarks>
public sealed class LedgerSnapshot : IAsyncDisposable
{
    private readonly MySqlConnection connection;
    private readonly MySqlTransaction transaction;
    private readonly int timeoutSeconds;

    private LedgerSnapshot(int database, MySqlConnection connection, MySqlTransaction transaction, int timeoutSeconds)
    {
        Database = database;
        this.connection = connection;
        this.transaction = transaction;
        this.timeoutSeconds = timeoutSeconds;
    }

    /// <summary>1 for DB1 (source accounts), 2 for DB2 (destination accounts).</summary>
    public int Database { get; }

    public string Name => Database == 1 ? "DB1" : "DB2";

    public static async Task<LedgerSnapshot> OpenAsync(ReconciliationOptions options, int database, CancellationToken ct)
    {
        var connection = new MySqlConnection(options.Ledger(database));
        try
        {
            await connection.OpenAsync(ct);
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            var snapshot = new LedgerSnapshot(database, connection, transaction, options.CommandTimeoutSeconds);
            // InnoDB fixes a REPEATABLE READ snapshot at the first read, not at BEGIN: read once now, so the snapshot's
            // moment is this call's (the order of the two ledgers' reads is what keeps the totals exact).
            await snapshot.ReadAsync("SELECT 1", null, _ => 0, ct);
            return snapshot;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<List<T>> ReadAsync<T>(string sql, Action<MySqlParameterCollection>? parameters, Func<MySqlDataReader, T> row, CancellationToken ct)
    {
        await using var command = new MySqlCommand(sql, connection, transaction) { CommandTimeout = timeoutSeconds };
        parameters?.Invoke(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct)) rows.Add(row(reader));
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
