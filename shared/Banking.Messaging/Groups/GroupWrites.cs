using System.Text;
using MySqlConnector;

namespace Banking.Messaging.Groups;

/// <summary>
/// The statements that close a group, sent to the server in one round trip (<see cref="MySqlBatch"/>) before the
/// commit. Rows of one table go into one multi-row statement: one statement per table per group, whatever its size.
/// Positional parameters (<c>?</c>) keep the statements cheap to build.
/// </summary>
public sealed class GroupWrites
{
    private readonly List<MySqlBatchCommand> commands = [];

    public int Count => commands.Count;

    internal IReadOnlyList<MySqlBatchCommand> Commands => commands;

    public void Add(string sql, params object?[] values)
    {
        var command = new MySqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new MySqlParameter { Value = value ?? DBNull.Value });
        commands.Add(command);
    }

    /// <summary>
    /// <c>INSERT INTO table (columns) VALUES (...), (...)</c> for every row; <paramref name="suffix"/> is appended
    /// (e.g. <c>ON DUPLICATE KEY UPDATE ...</c>). A duplicate key fails the statement, and with it the group.
    /// </summary>
    public void InsertRows(string table, IReadOnlyList<string> columns, IEnumerable<object?[]> rows, string? suffix = null)
    {
        var command = new MySqlBatchCommand();
        var sql = new StringBuilder("INSERT INTO `").Append(table).Append("` (");
        for (var c = 0; c < columns.Count; c++) sql.Append(c == 0 ? "`" : ", `").Append(columns[c]).Append('`');
        sql.Append(") VALUES ");
        var placeholders = "(" + string.Join(", ", Enumerable.Repeat("?", columns.Count)) + ")";
        var count = 0;
        foreach (var row in rows)
        {
            if (row.Length != columns.Count) throw new ArgumentException($"a row of {table} has {row.Length} values for {columns.Count} columns");
            sql.Append(count++ == 0 ? placeholders : ", " + placeholders);
            foreach (var value in row) command.Parameters.Add(new MySqlParameter { Value = value ?? DBNull.Value });
        }

        if (count == 0) return;
        if (suffix is not null) sql.Append(' ').Append(suffix);
        command.CommandText = sql.ToString();
        commands.Add(command);
    }

    public async Task ExecuteAsync(MySqlConnection connection, MySqlTransaction? transaction, CancellationToken cancellationToken)
    {
        if (commands.Count == 0) return;
        await using var batch = new MySqlBatch(connection, transaction);
        foreach (var command in commands) batch.BatchCommands.Add(command);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A comma-separated list of <paramref name="count"/> placeholders, for <c>IN (...)</c>.</summary>
    public static string Placeholders(int count) => string.Join(", ", Enumerable.Repeat("?", count));
}
