using Banking.Testing;
using Microsoft.EntityFrameworkCore;
using MySqlConnector;

namespace Banking.Messaging.Tests.Support;

/// <summary>A fresh database of this run with the back office schema, and the plain reads the specs assert on.</summary>
public sealed class BackOfficeDatabase(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    public static async Task<BackOfficeDatabase> CreateAsync(string name)
    {
        var servers = await RealServers.GetAsync();
        var database = new BackOfficeDatabase(await servers.CreateDatabaseAsync(1, name));
        await using var db = database.NewContext();
        await db.Database.EnsureCreatedAsync();
        return database;
    }

    public BackOfficeDbContext NewContext() =>
        new(new DbContextOptionsBuilder<BackOfficeDbContext>().UseBankingMySql(ConnectionString, BackOfficeDbContext.MigrationsHistoryTable).Options);

    /// <summary>Committed notes for a reference: reads never see another transaction's uncommitted rows.</summary>
    public Task<long> NotesAsync(string reference) =>
        CountAsync("note", "reference = @p", ("@p", reference));

    public Task<long> NotesLikeAsync(string prefix) =>
        CountAsync("note", "reference LIKE @p", ("@p", prefix + "%"));

    /// <summary>Outbox rows (stored, not yet delivered and removed) caused by one consumed message.</summary>
    public Task<long> OutboxRowsOfAsync(Guid inboxMessageId) =>
        CountAsync("outbox_message", "inbox_message_id = @m", ("@m", inboxMessageId.ToString()));

    public Task<long> InboxRowsOfAsync(Guid messageId) =>
        CountAsync("inbox_state", "message_id = @m", ("@m", messageId.ToString()));

    /// <summary>Inbox rows of a message whose outgoing messages are all delivered.</summary>
    public Task<long> DeliveredInboxRowsOfAsync(Guid messageId) =>
        CountAsync("inbox_state", "message_id = @m AND consumed IS NOT NULL AND delivered IS NOT NULL", ("@m", messageId.ToString()));

    public Task<long> CountAsync(string table, string where = "1 = 1", params (string Name, object? Value)[] parameters) =>
        ScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE {where}", parameters);

    public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        var value1 = await command.ExecuteScalarAsync();
        if (value1 is null or DBNull) throw new InvalidOperationException($"no result for {sql}");
        return (T)Convert.ChangeType(value1, typeof(T));
    }

    /// <summary>A saga instance as committed, or null.</summary>
    public async Task<SettlementBatchState?> BatchAsync(Guid batchId)
    {
        await using var db = NewContext();
        return await db.SettlementBatches.AsNoTracking().SingleOrDefaultAsync(b => b.CorrelationId == batchId);
    }
}
