using MySqlConnector;

namespace Banking.Messaging.Tests.Support;

/// <summary>How the closing batch of a group is made to fail, once.</summary>
public enum ClosingFault
{
    /// <summary>The database refuses the group's outbox rows (a trigger signals an error): the batch fails, the connection lives.</summary>
    Refused,

    /// <summary>The group's outbox rows stall on the server until the spec kills the connection's thread (<c>KILL</c>).</summary>
    ConnectionKilled,
}

/// <summary>
/// Makes the closing batch of the first group that writes an outbox row for one of <c>targets</c> fail, through a
/// trigger on <c>outbox_message</c>: the failure is the group's INSERT itself, after every member's consumer ran,
/// so no member can be blamed for it. The trigger's count lives in a MyISAM table, which the failed statement's
/// rollback cannot take back: it fires exactly once, and the members running again afterwards pass.
/// </summary>
public sealed class ClosingBatchFault : IAsyncDisposable
{
    // What the processlist shows of the group's connection while the trigger holds it: the trigger's statement, not the INSERT.
    private const string Stall = "DO SLEEP(60)";

    private readonly BackOfficeDatabase database;
    private readonly string name = "spec_fault_" + Guid.NewGuid().ToString("N")[..10];

    private ClosingBatchFault(BackOfficeDatabase database, ClosingFault fault)
    {
        this.database = database;
        Fault = fault;
    }

    public ClosingFault Fault { get; }

    public static async Task<ClosingBatchFault> ArmAsync(BackOfficeDatabase database, ClosingFault fault, IEnumerable<Guid> targets)
    {
        var armed = new ClosingBatchFault(database, fault);
        await database.ExecuteAsync($"CREATE TABLE `{armed.name}_count` (remaining INT NOT NULL) ENGINE=MyISAM");
        await database.ExecuteAsync($"CREATE TABLE `{armed.name}_target` (message_id CHAR(36) NOT NULL PRIMARY KEY) ENGINE=MyISAM");
        await database.ExecuteAsync($"INSERT INTO `{armed.name}_count` VALUES (1)");
        foreach (var target in targets) await database.ExecuteAsync($"INSERT INTO `{armed.name}_target` VALUES (@m)", ("@m", target.ToString()));

        var failure = fault == ClosingFault.Refused
            ? "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the spec refuses this closing batch'"
            // Long enough for the spec to find the thread and kill it; if it never does, the group commits and the spec fails.
            : Stall;
        await database.ExecuteAsync($"""
            CREATE TRIGGER `{armed.name}` BEFORE INSERT ON outbox_message FOR EACH ROW
            BEGIN
              IF (SELECT remaining FROM `{armed.name}_count`) > 0
                 AND EXISTS (SELECT 1 FROM `{armed.name}_target` WHERE message_id = NEW.inbox_message_id) THEN
                UPDATE `{armed.name}_count` SET remaining = remaining - 1;
                {failure};
              END IF;
            END
            """);
        return armed;
    }

    /// <summary>0 once the fault has fired.</summary>
    public Task<long> RemainingAsync() => database.ScalarAsync<long>($"SELECT remaining FROM `{name}_count`");

    /// <summary>
    /// The server thread of the group's connection, while it sits in the closing batch (in the trigger), or
    /// null. Only this database's threads are looked at: the servers are shared.
    /// </summary>
    public async Task<long?> StalledGroupThreadAsync()
    {
        var schema = new MySqlConnectionStringBuilder(database.ConnectionString).Database;
        var thread = await database.ScalarAsync<long>(
            "SELECT IF(COUNT(*) = 1, MAX(ID), 0) FROM information_schema.PROCESSLIST WHERE DB = @db AND STATE = 'User sleep' AND INFO = @stall",
            ("@db", schema), ("@stall", Stall));
        return thread == 0 ? null : thread;
    }

    /// <summary>Kills the group's connection in its closing batch, as a server that dropped it (or failed over) would.</summary>
    public async Task KillStalledGroupAsync()
    {
        long? thread = null;
        for (var waited = 0; waited < 600 && thread is null; waited++)
        {
            thread = await StalledGroupThreadAsync();
            if (thread is null) await Task.Delay(50);
        }

        if (thread is null) throw new InvalidOperationException("no group sat in its closing batch within 30 s");
        await database.ExecuteAsync($"KILL CONNECTION {thread.Value}");
    }

    public async ValueTask DisposeAsync()
    {
        await database.ExecuteAsync($"DROP TRIGGER IF EXISTS `{name}`");
        await database.ExecuteAsync($"DROP TABLE IF EXISTS `{name}_count`, `{name}_target`");
    }
}
