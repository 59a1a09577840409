using System.Data;
using System.Diagnostics;
using MySqlConnector;

namespace Banking.Benchmarks;

/// <summary>
/// The seed's synchronous design (seed-design.md 4.1) in this process, on the saga's own ledger databases and accounts:
/// lock the source row in DB1, check it, lock the destination row in DB2, check it, debit with its history row,
/// credit with its history row, commit both. Baseline A commits with MySQL XA (XA START/END/PREPARE/COMMIT, prepare
/// on DB1 then DB2, then commit on DB1 then DB2, as the seed's single coordinator would); Baseline B does the same
/// writes as two ordinary local transactions committed one after the other (no XA, no broker: not atomic across the
/// two databases if the process dies between the commits). Neither writes a transfer record or an idempotency claim,
/// which the saga does.
/// </summary>
public sealed class DirectLedgerBaseline(string db1, string db2, bool xa) : ISystemUnderTest
{
    private readonly string db1 = new MySqlConnectionStringBuilder(db1) { MaximumPoolSize = 300 }.ConnectionString;
    private readonly string db2 = new MySqlConnectionStringBuilder(db2) { MaximumPoolSize = 300 }.ConnectionString;

    public string Name => xa ? "xa" : "local";

    public string Description => xa
        ? "Baseline A: the seed's design in one process, two-phase commit with MySQL XA across DB1 and DB2"
        : "Baseline B: the same ledger writes as two local transactions (no XA, no broker)";

    public async Task<Outcome> RunAsync(TransferSpec transfer, CancellationToken giveUp)
    {
        await using var source = new MySqlConnection(db1);
        await using var destination = new MySqlConnection(db2);
        var xid = $"'{transfer.Id}'";
        MySqlTransaction? local1 = null, local2 = null;
        var stage = "open";
        try
        {
            await source.OpenAsync(giveUp);
            await destination.OpenAsync(giveUp);

            stage = "begin";
            if (xa) await ExecuteAsync(source, null, $"SET TRANSACTION ISOLATION LEVEL READ COMMITTED; XA START {xid}", giveUp);
            else local1 = await source.BeginTransactionAsync(IsolationLevel.ReadCommitted, giveUp);
            var from = await LockAsync(source, local1, transfer.From, giveUp);
            if (from is null) return await AbortAsync("ACCOUNT_NOT_FOUND");
            if (from.Value.Status != "A" || from.Value.Currency != "CNY") return await AbortAsync("ACCOUNT_RESTRICTED");
            if (from.Value.Balance < transfer.Amount) return await AbortAsync("INSUFFICIENT_BALANCE");

            if (xa) await ExecuteAsync(destination, null, $"SET TRANSACTION ISOLATION LEVEL READ COMMITTED; XA START {xid}", giveUp);
            else local2 = await destination.BeginTransactionAsync(IsolationLevel.ReadCommitted, giveUp);
            var to = await LockAsync(destination, local2, transfer.To, giveUp);
            if (to is null) return await AbortAsync("ACCOUNT_NOT_FOUND");
            if (to.Value.Status != "A" || to.Value.Currency != "CNY") return await AbortAsync("ACCOUNT_RESTRICTED");

            stage = "write";
            await WriteAsync(source, local1, from.Value, transfer, -transfer.Amount, "TRFDR", "D", giveUp);
            await WriteAsync(destination, local2, to.Value, transfer, transfer.Amount, "TRFCR", "C", giveUp);

            stage = "commit";
            if (xa)
            {
                await ExecuteAsync(source, null, $"XA END {xid}; XA PREPARE {xid}", giveUp);
                await ExecuteAsync(destination, null, $"XA END {xid}; XA PREPARE {xid}", giveUp);
                await ExecuteAsync(source, null, $"XA COMMIT {xid}", giveUp);
                await ExecuteAsync(destination, null, $"XA COMMIT {xid}", giveUp);
            }
            else
            {
                await local1!.CommitAsync(giveUp);
                await local2!.CommitAsync(giveUp);
            }

            return new Outcome(null, Stopwatch.GetTimestamp(), null);
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            await AbortAsync("");
            return Outcome.Failed("TIMEOUT");
        }
        catch (MySqlException e)
        {
            await AbortAsync("");
            return Outcome.Failed($"MYSQL {stage} {e.ErrorCode}");
        }

        async Task<Outcome> AbortAsync(string code)
        {
            foreach (var (connection, transaction) in new[] { (source, local1), (destination, local2) })
            {
                if (connection.State != ConnectionState.Open) continue;
                try
                {
                    if (!xa) { if (transaction is not null) await transaction.RollbackAsync(CancellationToken.None); continue; }
                    try { await ExecuteAsync(connection, null, $"XA END {xid}", CancellationToken.None); } catch (MySqlException) { }
                    await ExecuteAsync(connection, null, $"XA ROLLBACK {xid}", CancellationToken.None);
                }
                catch (MySqlException)
                {
                    // Not started, or already gone with the connection.
                }
            }

            return Outcome.Failed(code);
        }
    }

    private readonly record struct Locked(long InternalKey, string ClientNo, string Currency, string Status, decimal Balance);

    private static async Task<Locked?> LockAsync(MySqlConnection connection, MySqlTransaction? transaction, string accountNo, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("""
            SELECT a.INTERNAL_KEY, a.CLIENT_NO, a.ACCT_CCY, a.ACCT_STATUS, b.TOTAL_AMOUNT
            FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY
            WHERE a.BASE_ACCT_NO = @account ORDER BY a.INTERNAL_KEY LIMIT 1
            FOR UPDATE
            """, connection, transaction);
        command.Parameters.AddWithValue("@account", accountNo);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new Locked(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetDecimal(4));
    }

    private static async Task WriteAsync(MySqlConnection connection, MySqlTransaction? transaction, Locked account, TransferSpec transfer, decimal change,
        string type, string indicator, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        await using var command = new MySqlCommand("""
            UPDATE rb_acct_balance SET TOTAL_AMOUNT = @after, LAST_CHANGE_DATE = @now WHERE INTERNAL_KEY = @key;
            INSERT INTO rb_tran_hist (SEQ_NO, INTERNAL_KEY, CLIENT_NO, BASE_ACCT_NO, TRAN_TYPE, TRAN_AMT, PREVIOUS_BAL_AMT, ACTUAL_BAL,
                CR_DR_IND, TRAN_DATE, REFERENCE, NARRATIVE, TRAN_STATUS)
            VALUES (@seq, @key, @client, @account, @type, @amount, @before, @after, @indicator, @now, @reference, 'benchmark baseline', 'N');
            """, connection, transaction);
        command.Parameters.AddWithValue("@after", account.Balance + change);
        command.Parameters.AddWithValue("@before", account.Balance);
        command.Parameters.AddWithValue("@now", new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
        command.Parameters.AddWithValue("@key", account.InternalKey);
        command.Parameters.AddWithValue("@seq", Guid.CreateVersion7().ToString("N"));
        command.Parameters.AddWithValue("@client", account.ClientNo);
        command.Parameters.AddWithValue("@account", indicator == "D" ? transfer.From : transfer.To);
        command.Parameters.AddWithValue("@type", type);
        command.Parameters.AddWithValue("@amount", Math.Abs(change));
        command.Parameters.AddWithValue("@indicator", indicator);
        command.Parameters.AddWithValue("@reference", transfer.Id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(MySqlConnection connection, MySqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<long?> OutboxBacklogAsync() => Task.FromResult<long?>(null);

    public Task<long?> QueuedAsync() => Task.FromResult<long?>(null);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
