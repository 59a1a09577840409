using System.Collections.Concurrent;
using System.Diagnostics;
using Banking.Testing;
using MySqlConnector;

namespace Banking.Foundation.Tests.LocalServers;

/// <summary>
/// Issue 16, point 3: servers.sh up --mysql-replicas gives each MariaDB server a semi-synchronous replica, and
/// servers.sh promote makes it the primary. What a bank needs from that: a write the client saw acknowledged is on
/// the replica when the primary dies; the services' own connection strings reach the new primary without a change;
/// the old primary never takes a write again; it rejoins as a replica and catches up.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ReplicatedLedgers_Specs
{
    private PrivateServers servers = null!;

    [OneTimeSetUp]
    public async Task StartReplicatedServers() => servers = await PrivateServers.StartAsync("replicated-ledgers", mySqlReplicas: true);

    [OneTimeTearDown]
    public async Task StopThem() => await servers.DisposeAsync();

    // DebitService's own login, through the connection string servers.sh wrote for it (both members, failover).
    private string DebitLedger => servers.Endpoint("BANKING_DEBIT_LEDGER") + ";Connection Timeout=2;Default Command Timeout=15";

    [Test, Order(1)]
    public async Task Each_primary_waits_for_its_replica_after_syncing_its_binary_log()
    {
        foreach (var n in new[] { 1, 2 })
        {
            var admin = n == 1 ? servers.MySql1Admin : servers.MySql2Admin;
            Assert.That(await ScalarAsync(admin, "SELECT @@rpl_semi_sync_master_enabled"), Is.EqualTo("1"), $"mysql{n}");
            Assert.That(await ScalarAsync(admin, "SELECT @@rpl_semi_sync_master_wait_point"), Is.EqualTo("AFTER_SYNC"), $"mysql{n}");
            await Eventually.HoldsAsync(async () =>
                await ScalarAsync(admin, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'") == "1", $"mysql{n} has its replica connected semi-synchronously", TimeSpan.FromSeconds(30));
            Assert.That(await ScalarAsync(admin, "SELECT @@read_only"), Is.EqualTo("0"), $"mysql{n}'s primary takes writes");
        }

        // A replica is read-only and is not on the port the services write to.
        var replica = $"Server=127.0.0.2;Port={servers.MySql1Port + 10};User ID=root;Password={servers.Secret("mysql-root")};Connection Timeout=5";
        Assert.That(await ScalarAsync(replica, "SELECT @@read_only"), Is.EqualTo("1"));
        Assert.That(await ScalarAsync(replica, "SELECT @@port"), Is.Not.EqualTo(servers.MySql1Port.ToString()));
    }

    [Test, Order(2)]
    public async Task A_killed_primary_is_replaced_by_its_replica_with_every_acknowledged_write_and_the_services_logins_reach_it()
    {
        await ExecuteAsync(DebitLedger, "CREATE TABLE IF NOT EXISTS replication_probe (id INT PRIMARY KEY, written_at DATETIME(6) NOT NULL) ENGINE=InnoDB");
        var acknowledged = new ConcurrentBag<int>();
        using var stop = new CancellationTokenSource();
        var next = 0;
        // Four writers, as the services write: each row in its own transaction, recorded only once COMMIT returned.
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = Interlocked.Increment(ref next);
                try
                {
                    await ExecuteAsync(DebitLedger, $"INSERT INTO replication_probe VALUES ({id}, UTC_TIMESTAMP(6))");
                    acknowledged.Add(id);
                }
                catch (MySqlException)
                {
                    // The outcome of a commit cut off by the kill is unknown to the client; it is not counted.
                    await Task.Delay(100);
                }
            }
        })).ToList();

        await Eventually.HoldsAsync(() => acknowledged.Count >= 200, "writes flow before the kill", TimeSpan.FromSeconds(60));
        var primaryBefore = await servers.MySqlPrimaryDirectoryAsync(1);
        var pid = await servers.MySqlPrimaryPidAsync(1) ?? throw new InvalidOperationException("mysql1 has no pid file");
        Process.GetProcessById(pid).Kill();
        await Task.Delay(1500);
        var acknowledgedAtKill = acknowledged.Count;

        var promotion = Stopwatch.StartNew();
        await servers.PromoteAsync(1);
        promotion.Stop();
        TestContext.Out.WriteLine($"promotion took {promotion.Elapsed.TotalSeconds:0.0} s; {acknowledgedAtKill} writes acknowledged before the kill");

        // The same connection string writes again, to the promoted member.
        await Eventually.HoldsAsync(() => acknowledged.Count >= acknowledgedAtKill + 200, "writes flow again after the promotion", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.That(await servers.MySqlPrimaryDirectoryAsync(1), Is.Not.EqualTo(primaryBefore), "the replica's member is the primary now");
        var present = (await IdsAsync(servers.Ledger1)).ToHashSet();
        var lost = acknowledged.Where(id => !present.Contains(id)).Order().ToList();
        Assert.That(lost, Is.Empty, $"acknowledged writes missing after the promotion ({acknowledged.Count} acknowledged)");

        // The old primary's address no longer has anything on the write port: it cannot take a write by mistake.
        var oldAddress = $"Server=127.0.0.1;Port={servers.MySql1Port};User ID=debit_service;Password={servers.Secret("mysql-debit")};Connection Timeout=2";
        Assert.ThrowsAsync<MySqlException>(() => ScalarAsync(oldAddress, "SELECT 1"));
    }

    [Test, Order(3)]
    public async Task The_old_primary_rejoins_as_a_replica_catches_up_and_a_switchover_back_keeps_every_row()
    {
        await servers.StartServerAsync("mysql1-replica");
        var rowsOnPrimary = await ScalarAsync(servers.Ledger1, "SELECT COUNT(*) FROM replication_probe");
        var oldPrimary = $"Server=127.0.0.1;Port={servers.MySql1Port + 10};User ID=root;Password={servers.Secret("mysql-root")};Database=bank_db1;Connection Timeout=5";
        await Eventually.HoldsAsync(async () => await ScalarAsync(oldPrimary, "SELECT COUNT(*) FROM replication_probe") == rowsOnPrimary, "the rebuilt member has every row of the new primary", TimeSpan.FromSeconds(60));
        Assert.That(await ScalarAsync(oldPrimary, "SELECT @@read_only"), Is.EqualTo("1"));
        await Eventually.HoldsAsync(async () =>
            await ScalarAsync(servers.MySql1Admin, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'") == "1", "the new primary waits for its new replica", TimeSpan.FromSeconds(30));

        // A write on the new primary reaches the rebuilt member too.
        await ExecuteAsync(DebitLedger, "INSERT INTO replication_probe VALUES (1000000, UTC_TIMESTAMP(6))");
        await Eventually.HoldsAsync(async () => await ScalarAsync(oldPrimary, "SELECT COUNT(*) FROM replication_probe WHERE id = 1000000") == "1", "replication runs from the new primary", TimeSpan.FromSeconds(30));

        // A planned switchover: the running primary steps down and the original member is primary again.
        await servers.PromoteAsync(1);
        Assert.That(await servers.MySqlPrimaryDirectoryAsync(1), Does.EndWith("mysql1"));
        Assert.That(await ScalarAsync(servers.Ledger1, "SELECT COUNT(*) FROM replication_probe"), Is.EqualTo((long.Parse(rowsOnPrimary) + 1).ToString()));
        await ExecuteAsync(DebitLedger, "INSERT INTO replication_probe VALUES (1000001, UTC_TIMESTAMP(6))");
    }

    [Test, Order(4)]
    public async Task Promote_refuses_when_the_replica_is_not_running_and_the_primary_carries_on()
    {
        await servers.StopAsync("mysql2-replica");
        try
        {
            var refused = Assert.ThrowsAsync<InvalidOperationException>(() => servers.PromoteAsync(2));
            Assert.That(refused!.Message, Does.Contain("nothing to promote"));
            Assert.That(await ScalarAsync(servers.Ledger2, "SELECT @@read_only"), Is.EqualTo("0"), "mysql2 is still the primary");
            // Alone, the primary stops waiting for a replica rather than stopping the bank.
            var credit = servers.Endpoint("BANKING_CREDIT_LEDGER") + ";Connection Timeout=2";
            var write = Stopwatch.StartNew();
            await ExecuteAsync(credit, "CREATE TABLE IF NOT EXISTS replication_probe (id INT PRIMARY KEY) ENGINE=InnoDB");
            await ExecuteAsync(credit, "INSERT INTO replication_probe VALUES (1)");
            Assert.That(write.Elapsed, Is.LessThan(TimeSpan.FromSeconds(9)), "no semi-sync timeout with no replica connected");
        }
        finally
        {
            await servers.StartServerAsync("mysql2-replica");
        }

        var replica = $"Server=127.0.0.2;Port={servers.MySql2Port + 10};User ID=root;Password={servers.Secret("mysql-root")};Database=bank_db2;Connection Timeout=5";
        await Eventually.HoldsAsync(async () => await ScalarAsync(replica, "SELECT COUNT(*) FROM replication_probe") == "1", "the restarted replica catches up on what it missed", TimeSpan.FromSeconds(30));
    }

    private static async Task<string> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        try
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (MySqlException)
        {
            // A pooled connection to a dead server is of no use to the next attempt.
            MySqlConnection.ClearPool(connection);
            throw;
        }
    }

    private static async Task<List<int>> IdsAsync(string connectionString)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT id FROM replication_probe", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync()) ids.Add(reader.GetInt32(0));
        return ids;
    }
}
