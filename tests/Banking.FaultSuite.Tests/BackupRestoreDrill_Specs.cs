using System.Diagnostics;
using Banking.Testing;
using MySqlConnector;

namespace Banking.FaultSuite.Tests;

/// <summary>
/// Backups that restore (issue 16, point 4): deploy/local/backup.sh takes a hot backup of a bank that is moving money,
/// and the backup is restored onto other, fresh servers, which must then be a bank whose books balance and whose
/// transfers caught in flight by the backup finish there. A backup is only as good as its last restore.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class BackupRestoreDrill_Specs
{
    private static readonly TimeSpan ScriptLimit = TimeSpan.FromMinutes(3);

    // The bank that is backed up, and the fresh servers it is restored onto: own data folders, ports and secrets.
    private PrivateServers? bank;
    private PrivateServers fresh = null!;
    private string backups = null!;

    [OneTimeSetUp]
    public async Task StartTwoSetsOfServers()
    {
        // Outside both data folders: the bank's goes before the restore. backup.sh makes each backup in it 0700.
        backups = Path.Combine(RealServers.RepositoryRoot, ".local", $"backup-drill-{Environment.ProcessId}");
        Directory.CreateDirectory(backups);
        // One set after the other: booting both at once on the two shared cores once failed in mariadb-install-db.
        bank = await PrivateServers.StartAsync("backup-drill-bank");
        fresh = await PrivateServers.StartAsync("backup-drill-fresh");
    }

    [OneTimeTearDown]
    public async Task StopThem()
    {
        if (bank is not null) await bank.DisposeAsync();
        if (fresh is not null) await fresh.DisposeAsync();
        if (Directory.Exists(backups)) Directory.Delete(backups, recursive: true);
    }

    [Test]
    public async Task A_hot_backup_taken_while_money_moves_restores_onto_fresh_servers_as_a_bank_whose_books_balance_and_whose_transfers_in_flight_finish()
    {
        var bankServers = bank ?? throw new InvalidOperationException("the bank's servers are gone: the drill runs once per fixture");
        var began = DateTime.UtcNow;
        var folder = Path.Combine(backups, "under-load");
        // Half the transfers as raw RabbitMQ publishes, which do not wait for their outcome as a REST client does: more
        // transfers in flight at any instant, and more credits landing between the two servers' backups.
        var options = new FaultSuiteOptions { Profile = "backup-drill", Clients = 10, RawShare = 0.5, AccountsPerLedger = 10, RabbitMqNodes = 1, Instances = 1 };
        BankInvariants.Snapshot opening;
        string bankOrchestratorPassword;
        TimeSpan backupTook;
        await using (var platform = await FaultPlatform.StartAsync(bankServers))
        {
            var accounts = await platform.OpenAccountsAsync(options.AccountsPerLedger, options.OpeningBalance);
            opening = await BankInvariants.SnapshotAsync(bankServers.Ledger1, bankServers.Ledger2);
            var workload = new Workload(platform, accounts, options);
            using var stop = new CancellationTokenSource();
            var load = workload.RunAsync(stop.Token);
            // A history worth restoring before the backup starts, and the same load all through it.
            await Eventually.HoldsAsync(() => workload.Attempts.Values.Count(a => a.Acknowledged) >= 100, "100 transfers acknowledged before the backup", TimeSpan.FromSeconds(90));
            var acknowledgedBefore = workload.Attempts.Values.Count(a => a.Acknowledged);
            var clock = Stopwatch.StartNew();
            var backingUp = bankServers.RunScriptAsync("backup.sh", ScriptLimit, "backup", "--to", folder);
            // A credit ledger that falls behind once both servers are copied: both backups run at full load (credits
            // go on between server 1's point and server 2's, the transfers the cut exists for), and while they are
            // prepared and until the cut, transfers debited wait in Crediting, so that the cut reliably catches them.
            var manifestFile = Path.Combine(folder, "manifest");
            await Eventually.HoldsAsync(() => backingUp.IsCompleted || (File.Exists(manifestFile) && File.ReadAllText(manifestFile).Contains("server2.backup_finished_utc=", StringComparison.Ordinal)),
                "server 2's backup copied", ScriptLimit);
            foreach (var credit in platform.Credits) credit.Pause();
            (int ExitCode, string Output, string Error) backedUp;
            try
            {
                backedUp = await backingUp;
            }
            finally
            {
                foreach (var credit in platform.Credits) credit.Resume();
            }

            var (exitCode, output, error) = backedUp;
            backupTook = clock.Elapsed;
            var acknowledgedDuring = workload.Attempts.Values.Count(a => a.Acknowledged) - acknowledgedBefore;
            await stop.CancelAsync();
            await load;
            Log($"backup.sh backup: exit {exitCode} in {backupTook.TotalSeconds:0.0} s, {acknowledgedDuring} transfers acknowledged meanwhile; {error.Trim()}");
            Assert.That(exitCode, Is.Zero, error);
            Assert.That(output.Trim(), Is.EqualTo(folder), "the backup names its folder");
            Assert.That(acknowledgedDuring, Is.GreaterThan(0), "the bank kept moving money while it was backed up");
            bankOrchestratorPassword = bankServers.Secret("mysql-orchestrator");
        }

        // The bank that was backed up is gone before the restore: nothing can come from it but the backup.
        await bankServers.DisposeAsync();
        bank = null;
        var manifest = Manifest(folder);
        Log($"backup: {long.Parse(manifest["bytes"]) / 1024 / 1024} MiB (server 1 {manifest["server1.backup_seconds"]} s, server 2 {manifest["server2.backup_seconds"]} s), cut at {manifest["cut_utc"]}");
        Assert.That(new DirectoryInfo(folder).UnixFileMode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), "the backup holds password hashes and every account");

        var restoring = Stopwatch.StartNew();
        var (restoreExit, _, restoreError) = await fresh.RunScriptAsync("backup.sh", ScriptLimit, "restore", folder);
        Log($"backup.sh restore: exit {restoreExit} in {restoring.Elapsed.TotalSeconds:0.0} s; {restoreError.Trim()}");
        Assert.That(restoreExit, Is.Zero, restoreError);

        // Before any service runs on the restored servers: the backup caught transfers in flight (otherwise this
        // drill would prove nothing about resuming them), and the restored servers take the fresh servers' logins.
        var restored = await BankInvariants.TransfersAsync(fresh.Core);
        var inFlight = restored.Values.Where(t => !BankInvariants.IsFinal(t.Status)).Select(t => t.TransferId).ToList();
        Log($"restored saga: {restored.Count} transfers, {inFlight.Count} in flight ({string.Join(", ", restored.Values.Where(t => !BankInvariants.IsFinal(t.Status)).GroupBy(t => t.State).Select(g => $"{g.Key} {g.Count()}"))})");
        Assert.That(restored, Has.Count.GreaterThanOrEqualTo(100), "the restored bank holds the history from before the backup");
        Assert.That(inFlight, Is.Not.Empty, "the backup was taken while transfers were in flight");
        Assert.That(restored.Values.Where(t => t.State == "Crediting"), Is.Not.Empty, "the backup caught transfers debited and waiting for their credit");
        var oldLogin = new MySqlConnectionStringBuilder(fresh.OrchestratorCore) { Password = bankOrchestratorPassword }.ConnectionString;
        Assert.ThrowsAsync<MySqlException>(async () =>
        {
            await using var connection = new MySqlConnection(oldLogin);
            await connection.OpenAsync();
        }, "the backed-up bank's passwords do not open the restored servers");

        await using (var platform = await FaultPlatform.StartAsync(fresh))
        {
            var settling = Stopwatch.StartNew();
            await Eventually.HoldsAsync(async () => (await BankInvariants.TransfersAsync(fresh.Core)).Values.All(t => BankInvariants.IsFinal(t.Status)),
                "every transfer of the restored saga final", TimeSpan.FromSeconds(90),
                async () => string.Join(", ", (await BankInvariants.TransfersAsync(fresh.Core)).Values.Where(t => !BankInvariants.IsFinal(t.Status)).Take(5).Select(t => $"{t.TransferId} in {t.State}")));
            Log($"restored bank quiet {settling.Elapsed.TotalSeconds:0.0} s after its services started");

            var closing = await BankInvariants.TransfersAsync(fresh.Core);
            var violations = await BankInvariants.CheckAsync(fresh.Ledger1, fresh.Ledger2, fresh.Core, opening, []);
            violations.AddRange(await platform.ReconcileAsync(began, Log));
            violations.AddRange(await platform.VerifyAuditAsync());
            Log($"restored bank: {string.Join(", ", closing.Values.GroupBy(t => t.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))}; {violations.Count} violation(s)");
            Assert.Multiple(() =>
            {
                Assert.That(violations.Select(v => $"{v.Invariant}: {v.Detail}"), Is.Empty);
                Assert.That(inFlight.Select(id => $"{id} {closing.GetValueOrDefault(id)?.Status ?? "missing"}"), Is.All.Match("(SUCCESS|ROLLBACK|FAILED)$"), "the transfers the backup caught in flight finished on the restored bank");
                Assert.That(closing.Keys, Is.SupersetOf(restored.Keys), "no transfer the backup held was lost");
            });
        }
    }

    [Test]
    public async Task Restore_refuses_a_folder_that_is_not_a_complete_prepared_backup_and_leaves_the_servers_running_untouched()
    {
        var empty = Directory.CreateDirectory(Path.Combine(backups, "empty")).FullName;
        var cutShort = BackupLike("cut-short", complete: false, backupType: "log-applied");
        var unprepared = BackupLike("unprepared", complete: true, backupType: "full-backuped");
        var servers = new[] { 1, 2 };
        var directories = await Task.WhenAll(servers.Select(fresh.MySqlPrimaryDirectoryAsync));
        var pids = await Task.WhenAll(servers.Select(fresh.MySqlPrimaryPidAsync));
        // The drill, when it ran first, set the fresh servers' first data aside; a refusal must set nothing aside.
        var setAside = directories.SelectMany(d => Directory.GetDirectories(d, "data.before-restore-*")).ToList();

        var refusals = new List<(string Folder, int ExitCode, string Error)>();
        foreach (var folder in new[] { empty, cutShort, unprepared })
        {
            var (exitCode, _, error) = await fresh.RunScriptAsync("backup.sh", ScriptLimit, "restore", folder);
            refusals.Add((Path.GetFileName(folder), exitCode, error.Trim()));
        }

        var pidsAfter = await Task.WhenAll(servers.Select(fresh.MySqlPrimaryPidAsync));
        Assert.Multiple(() =>
        {
            foreach (var (folder, exitCode, error) in refusals)
            {
                Assert.That(exitCode, Is.Not.Zero, $"{folder}: {error}");
                Assert.That(error, Does.Contain("nothing was changed"), folder);
            }

            Assert.That(refusals[0].Error, Does.Contain("no manifest"));
            Assert.That(refusals[1].Error, Does.Contain("incomplete"));
            Assert.That(refusals[2].Error, Does.Contain("not prepared"));
            Assert.That(pids, Has.All.Not.Null);
            Assert.That(pidsAfter, Is.EqualTo(pids), "the same server processes still run");
            Assert.That(directories.SelectMany(d => Directory.GetDirectories(d, "data.before-restore-*")), Is.EquivalentTo(setAside), "no data folder was set aside");
        });
        foreach (var ledger in new[] { fresh.Ledger1, fresh.Ledger2 })
        {
            await using var connection = new MySqlConnection(ledger);
            await connection.OpenAsync();
            await using var command = new MySqlCommand("SELECT 1", connection);
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(1), "the servers answer their own root login as before");
        }
    }

    // A folder that looks like a backup from the outside: a manifest, and per server a checkpoints file of the given
    // type and a mysql schema folder, but no data worth restoring.
    private string BackupLike(string name, bool complete, string backupType)
    {
        var folder = Directory.CreateDirectory(Path.Combine(backups, name)).FullName;
        var lines = new List<string> { "format=banking-backup-1", "started_utc=2026-01-01T00:00:00Z" };
        foreach (var n in new[] { 1, 2 })
        {
            Directory.CreateDirectory(Path.Combine(folder, $"mysql{n}", "mysql"));
            Directory.CreateDirectory(Path.Combine(folder, $"binlog{n}"));
            File.WriteAllText(Path.Combine(folder, $"mysql{n}", "xtrabackup_checkpoints"), $"backup_type = {backupType}\nfrom_lsn = 0\nto_lsn = 1\n");
            File.WriteAllText(Path.Combine(folder, $"binlog{n}", "binlog.000001"), "not a binary log");
            lines.AddRange([$"server{n}.binlog_file=binlog.000001", $"server{n}.binlog_pos=4", $"server{n}.cut_file=binlog.000001", $"server{n}.cut_pos=4", $"server{n}.binlogs=binlog.000001"]);
        }

        if (complete) lines.Add("complete=yes");
        File.WriteAllLines(Path.Combine(folder, "manifest"), lines);
        return folder;
    }

    private static Dictionary<string, string> Manifest(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "manifest")).Where(l => l.Contains('=')).Select(l => l.Split('=', 2))
            .GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.Last()[1]);

    private static void Log(string line) => TestContext.Progress.WriteLine($"[backup-drill {DateTime.UtcNow:HH:mm:ss}] {line}");
}
