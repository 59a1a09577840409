using MySqlConnector;

namespace Banking.Security.Tests.Servers;

/// <summary>
/// Issue 15, item 3: root had no password, anonymous users existed and the application user held every privilege
/// with GRANT OPTION. Now root needs the generated password, and each service reaches its own schema and nothing else.
/// </summary>
[TestFixture]
public sealed partial class MariaDb_privilege_specs
{
    private SecuredPlatform platform = null!;

    [OneTimeSetUp]
    public async Task StartThePlatform() => platform = await SecuredPlatform.GetAsync();

    private string Server(int n) => $"Server=127.0.0.1;Port={(n == 1 ? platform.Servers.MySql1Port : platform.Servers.MySql2Port)};Connection Timeout=5";

    private static async Task<MySqlException?> RefusalAsync(string connectionString, string? sql = null)
    {
        try
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync();
            if (sql is not null)
            {
                await using var command = new MySqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }

            return null;
        }
        catch (MySqlException e)
        {
            return e;
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    public async Task Root_without_its_password_is_refused_over_tcp_and_over_the_socket(int n)
    {
        Assert.That(await RefusalAsync($"{Server(n)};User ID=root"), Is.Not.Null, "root over TCP without a password");
        Assert.That(await RefusalAsync($"{Server(n)};User ID=root;Password=banking"), Is.Not.Null, "root over TCP with a guessed password");
        var socket = Path.Combine(platform.Servers.Data, $"mysql{n}", "mysqld.sock");
        Assert.That(await RefusalAsync($"Server={socket};Protocol=Unix;User ID=root;Connection Timeout=5"), Is.Not.Null, "root over the socket without a password");
        // Control: the generated password opens both ways.
        Assert.That(await RefusalAsync($"Server={socket};Protocol=Unix;User ID=root;Password={platform.Servers.Secret("mysql-root")};Connection Timeout=5"), Is.Null);
        Assert.That(await RefusalAsync(n == 1 ? platform.Servers.MySql1Admin : platform.Servers.MySql2Admin), Is.Null);
    }

    [TestCase(1)]
    [TestCase(2)]
    public async Task Anonymous_logins_and_the_old_banking_user_are_refused(int n)
    {
        Assert.That(await RefusalAsync($"{Server(n)};User ID=''"), Is.Not.Null, "anonymous");
        Assert.That(await RefusalAsync($"{Server(n)};User ID=nobody"), Is.Not.Null, "an unknown user (anonymous accounts would admit it)");
        Assert.That(await RefusalAsync($"{Server(n)};User ID=banking;Password=banking"), Is.Not.Null, "the old all-powerful user");
        await using var admin = new MySqlConnection(n == 1 ? platform.Servers.MySql1Admin : platform.Servers.MySql2Admin);
        await admin.OpenAsync();
        await using var users = new MySqlCommand("SELECT COUNT(*) FROM mysql.user WHERE User = '' OR User = 'banking'", admin);
        Assert.That(Convert.ToInt32(await users.ExecuteScalarAsync()), Is.Zero);
        await using var test = new MySqlCommand("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test'", admin);
        Assert.That(Convert.ToInt32(await test.ExecuteScalarAsync()), Is.Zero, "no test database");
    }

    [Test]
    public async Task Each_service_user_is_refused_on_every_schema_but_its_own()
    {
        var debit = platform.Servers.DebitLedger;
        var orchestrator = platform.Servers.OrchestratorCore;
        var credit = platform.Servers.CreditLedger;
        Assert.Multiple(async () =>
        {
            Assert.That(await RefusalAsync(debit, "SELECT COUNT(*) FROM bank_core.transfer_log"), Is.Not.Null, "debit_service reads bank_core");
            Assert.That(await RefusalAsync(debit, "UPDATE bank_core.transfer_log SET status = 'SUCCESS'"), Is.Not.Null, "debit_service writes bank_core");
            Assert.That(await RefusalAsync(orchestrator, "SELECT COUNT(*) FROM bank_db1.rb_acct_balance"), Is.Not.Null, "orchestrator reads bank_db1");
            Assert.That(await RefusalAsync(orchestrator, "UPDATE bank_db1.rb_acct_balance SET TOTAL_AMOUNT = TOTAL_AMOUNT + 1000"), Is.Not.Null, "orchestrator writes bank_db1");
            Assert.That(await RefusalAsync(credit, "SELECT COUNT(*) FROM mysql.user"), Is.Not.Null, "credit_service reads mysql.user");
            Assert.That(await RefusalAsync(debit, "CREATE DATABASE sneaky"), Is.Not.Null, "debit_service creates a database");
            // Control: each reaches its own.
            Assert.That(await RefusalAsync(debit, "SELECT COUNT(*) FROM rb_acct_balance"), Is.Null);
            Assert.That(await RefusalAsync(orchestrator, "SELECT COUNT(*) FROM transfer_log"), Is.Null);
            Assert.That(await RefusalAsync(credit, "SELECT COUNT(*) FROM rb_acct_balance"), Is.Null);
        });
    }

    [TestCase("debit")]
    [TestCase("credit")]
    [TestCase("orchestrator")]
    public async Task A_service_user_holds_no_global_privilege_and_no_grant_option(string service)
    {
        var login = service switch { "debit" => platform.Servers.DebitLedger, "credit" => platform.Servers.CreditLedger, _ => platform.Servers.OrchestratorCore };
        await using var connection = new MySqlConnection(login);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SHOW GRANTS", connection);
        var grants = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) grants.Add(reader.GetString(0));

        Assert.That(grants, Has.None.Contains("GRANT OPTION"));
        Assert.That(grants, Has.None.Contains("SUPER").And.None.Contains("FILE").And.None.Contains("PROCESS").And.None.Contains("ALL PRIVILEGES"));
        Assert.That(grants.Where(g => g.Contains(" ON *.* ")), Has.All.StartWith("GRANT USAGE ON *.*"), "nothing global beyond logging in");
        Assert.That(grants.Where(g => !g.StartsWith("GRANT USAGE", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(1), string.Join("\n", grants));
    }

    /// <summary>
    /// Issue 17, point 1: a service's login appends to its audit trail, but an UPDATE or DELETE of an audit row is
    /// refused, also for the login that created the table (its migration made the append-only triggers). The row is
    /// the spec's own, in a transaction that is rolled back.
    /// </summary>
    [TestCase("debit")]
    [TestCase("credit")]
    [TestCase("orchestrator")]
    public async Task A_service_user_may_append_to_its_audit_trail_but_never_update_or_delete_a_row(string service)
    {
        var login = service switch { "debit" => platform.Servers.DebitLedger, "credit" => platform.Servers.CreditLedger, _ => platform.Servers.OrchestratorCore };
        await using var connection = new MySqlConnection(login);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        async Task<MySqlException?> RunAsync(string sql)
        {
            try
            {
                await using var command = new MySqlCommand(sql, connection, transaction);
                await command.ExecuteNonQueryAsync();
                return null;
            }
            catch (MySqlException e)
            {
                return e;
            }
        }

        var append = await RunAsync("""
            INSERT INTO audit_log (chain, seq, occurred_at, actor, action, subject, previous_hash, row_hash)
            VALUES ('privilege-spec', 1, UTC_TIMESTAMP(6), 'spec', 'SPEC', 'spec', REPEAT('0', 64), REPEAT('0', 64))
            """);
        var update = await RunAsync("UPDATE audit_log SET actor = 'somebody else' WHERE chain = 'privilege-spec'");
        var delete = await RunAsync("DELETE FROM audit_log WHERE chain = 'privilege-spec'");
        await transaction.RollbackAsync();

        Assert.Multiple(() =>
        {
            Assert.That(append, Is.Null, "appending is the service's right");
            Assert.That(update?.Message, Does.Contain("append-only"), "an audit row updated");
            Assert.That(delete?.Message, Does.Contain("append-only"), "an audit row deleted");
        });
    }


    /// <summary>Issue 17, point 2: reconciliation reads the ledgers with a login of its own that can read and nothing else.</summary>
    [TestCase(1)]
    [TestCase(2)]
    public async Task The_reconciler_reads_its_ledger_and_can_change_nothing(int n)
    {
        var reconciler = n == 1 ? platform.Servers.ReconcilerDb1 : platform.Servers.ReconcilerDb2;
        var ledger = n == 1 ? "bank_db1" : "bank_db2";
        await using var connection = new MySqlConnection(reconciler);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SHOW GRANTS", connection);
        var grants = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) grants.Add(reader.GetString(0));

        Assert.Multiple(async () =>
        {
            foreach (var write in new[]
            {
                "UPDATE rb_acct_balance SET TOTAL_AMOUNT = TOTAL_AMOUNT + 1000",
                "INSERT INTO rb_tran_hist (SEQ_NO, REFERENCE) VALUES ('reconciler-was-here', 'x')",
                "DELETE FROM ledger_operation",
                "CREATE TABLE sneaky (id INT)",
                "DROP TABLE rb_acct",
                "ALTER TABLE rb_acct ADD COLUMN sneaky INT",
                "CREATE TEMPORARY TABLE scratch (id INT)",
                "LOCK TABLES rb_acct_balance WRITE",
            })
                Assert.That(await RefusalAsync(reconciler, write), Is.Not.Null, $"reconciler: {write}");
            Assert.That(await RefusalAsync(reconciler, "SELECT COUNT(*) FROM mysql.user"), Is.Not.Null, "reconciler reads mysql.user");
            if (n == 1) Assert.That(await RefusalAsync(reconciler, "SELECT COUNT(*) FROM bank_core.transfer_log"), Is.Not.Null, "reconciler reads bank_core");
            Assert.That(grants.Where(g => !g.StartsWith("GRANT USAGE", StringComparison.Ordinal)), Is.EqualTo(new[] { $"GRANT SELECT ON `{ledger}`.* TO `reconciler`@`127.0.0.1`" }), string.Join("\n", grants));
            // Control: what reconciliation reads.
            foreach (var table in new[] { "rb_acct", "rb_acct_balance", "rb_tran_hist", "ledger_operation" })
                Assert.That(await RefusalAsync(reconciler, $"SELECT COUNT(*) FROM {table}"), Is.Null, table);
        });
    }

    [Test]
    public async Task The_orchestrator_reconciles_the_bank_with_the_reconcilers_login()
    {
        var orchestrator = platform.Services.Single(s => s.DllPath.EndsWith("Banking.Orchestrator.dll", StringComparison.Ordinal));
        using var http = orchestrator.CreateClient();
        string metrics = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(90); DateTime.UtcNow < deadline; await Task.Delay(500))
        {
            metrics = await http.GetStringAsync("/metrics");
            if (Checked().IsMatch(metrics) && Clean().IsMatch(metrics)) break;
        }

        // The demo accounts (CNY and USD) on both ledgers, checked with SELECT alone.
        Assert.That(Checked().IsMatch(metrics), Is.True, metrics);
        Assert.That(Clean().IsMatch(metrics), Is.True, metrics);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\nbanking_reconciliation_failing(\{[^}]*\})? 0\n")]
    private static partial System.Text.RegularExpressions.Regex Checked();

    [System.Text.RegularExpressions.GeneratedRegex(@"\nbanking_reconciliation_difference\{[^}]*currency=""CNY""[^}]*\} 0\n")]
    private static partial System.Text.RegularExpressions.Regex Clean();

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_secrets_folder_and_its_files_are_readable_by_their_owner_only()
    {
        var folder = new DirectoryInfo(platform.Servers.Secrets);
        Assert.That(folder.UnixFileMode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        var files = folder.GetFiles();
        Assert.That(files.Select(f => f.Name), Is.SupersetOf(new[] { "mysql-root", "mysql-debit", "mysql-credit", "mysql-orchestrator", "mysql-reconciler", "rabbitmq-admin", "rabbitmq-upstream", "redis-admin", "redis-gateway", "jwt-signing-key" }));
        Assert.That(files.Select(f => (f.Name, f.UnixFileMode)), Has.All.Matches<(string, UnixFileMode Mode)>(f => f.Mode == (UnixFileMode.UserRead | UnixFileMode.UserWrite)));
        foreach (var endpoints in new[] { "servers.env", "services.env" })
            Assert.That(File.GetUnixFileMode(Path.Combine(platform.Servers.Data, endpoints)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), endpoints);
    }
}
