using System.Data;
using Banking.Ledger.Data;
using Banking.Messaging;
using Banking.Testing;
using Microsoft.EntityFrameworkCore;
using MySqlConnector;

namespace Banking.Ledger.Tests.Support;

/// <summary>
/// A fresh, migrated ledger database of this run, with the few reads the specs assert on. Each test opens its own
/// accounts (unique internal keys and numbers), so tests sharing one database never see each other's money.
/// </summary>
public sealed class ScratchLedger(string connectionString)
{
    private static long nextKey = 70_000;

    public string ConnectionString { get; } = connectionString;

    public static async Task<ScratchLedger> CreateAsync(string name, int server = 1, bool migrate = true)
    {
        var servers = await RealServers.GetAsync();
        var ledger = new ScratchLedger(await servers.CreateDatabaseAsync(server, name));
        if (migrate)
        {
            await using var db = ledger.NewContext();
            await db.MigrateAsync();
        }

        return ledger;
    }

    public LedgerDbContext NewContext() =>
        new(new DbContextOptionsBuilder<LedgerDbContext>().UseBankingMySql(ConnectionString, LedgerDbContext.MigrationsHistoryTable).Options);

    /// <summary>
    /// One ledger operation in its own DbContext and READ COMMITTED transaction (retried as a whole on a transient
    /// failure), as one consumer delivery runs it inside the outbox's transaction.
    /// </summary>
    public async Task<LedgerResult> RunAsync(Func<LedgerOperations, Task<LedgerResult>> operation, TimeProvider? clock = null, DailyLimitPolicy? dailyLimits = null)
    {
        await using var db = NewContext();
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted);
            var result = await operation(new LedgerOperations(db, clock ?? TimeProvider.System, dailyLimits: dailyLimits));
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            return result;
        });
    }

    public async Task<string> OpenAccountAsync(decimal balance, string status = "A", string currency = "CNY", string clientNo = "T0001")
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"66{key:D10}";
        await ExecuteAsync("""
            INSERT INTO rb_acct (INTERNAL_KEY, CLIENT_NO, BASE_ACCT_NO, ACCT_NAME, ACCT_CCY, ACCT_STATUS, ACCT_BRANCH, ACCT_OPEN_DATE)
            VALUES (@key, @client, @no, 'spec account', @ccy, @status, '0001', UTC_TIMESTAMP());
            INSERT INTO rb_acct_balance (INTERNAL_KEY, CLIENT_NO, TOTAL_AMOUNT, LAST_CHANGE_DATE) VALUES (@key, @client, @balance, UTC_TIMESTAMP());
            """, ("@key", key), ("@no", accountNo), ("@ccy", currency), ("@status", status), ("@balance", balance), ("@client", clientNo));
        return accountNo;
    }

    public Task SetStatusAsync(string accountNo, string status) =>
        ExecuteAsync("UPDATE rb_acct SET ACCT_STATUS = @status WHERE BASE_ACCT_NO = @no", ("@status", status), ("@no", accountNo));

    public Task<decimal> BalanceAsync(string accountNo) =>
        ScalarAsync<decimal>("SELECT b.TOTAL_AMOUNT FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY WHERE a.BASE_ACCT_NO = @no", ("@no", accountNo));

    /// <summary>The account's rb_tran_hist rows, oldest balance first.</summary>
    public Task<IReadOnlyList<HistoryRow>> HistoryOfAccountAsync(string accountNo) =>
        HistoryAsync("BASE_ACCT_NO = @p", accountNo);

    /// <summary>The rb_tran_hist rows that reference a transfer.</summary>
    public Task<IReadOnlyList<HistoryRow>> HistoryOfTransferAsync(string transferId) =>
        HistoryAsync("REFERENCE = @p", transferId);

    public Task<long> CountAsync(string table, string where = "1 = 1", params (string Name, object? Value)[] parameters) =>
        ScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE {where}", parameters);

    public async Task ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        var value1 = await command.ExecuteScalarAsync();
        return (T)Convert.ChangeType(value1 is null or DBNull ? throw new InvalidOperationException($"no result for {sql}") : value1, typeof(T));
    }

    public async Task<IReadOnlyList<IReadOnlyList<object?>>> QueryAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<IReadOnlyList<object?>>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }

        return rows;
    }

    private async Task<IReadOnlyList<HistoryRow>> HistoryAsync(string where, string parameter)
    {
        var rows = await QueryAsync($"""
            SELECT SEQ_NO, BASE_ACCT_NO, TRAN_TYPE, CR_DR_IND, TRAN_AMT, PREVIOUS_BAL_AMT, ACTUAL_BAL, REFERENCE
            FROM rb_tran_hist WHERE {where} ORDER BY SEQ_NO
            """, ("@p", parameter));
        return [.. rows.Select(r => new HistoryRow((string)r[0]!, (string)r[1]!, (string)r[2]!, (string)r[3]!, (decimal)r[4]!, (decimal)r[5]!, (decimal)r[6]!, (string?)r[7]))];
    }
}

/// <summary>One rb_tran_hist row.</summary>
public sealed record HistoryRow(string SeqNo, string AccountNo, string Type, string Direction, decimal Amount, decimal Before, decimal After, string? Reference);
