using Banking.Ledger.Tests.Support;
using Banking.Messaging.Audit;
using Banking.Testing;
using Microsoft.EntityFrameworkCore;
using MySqlConnector;

namespace Banking.Ledger.Tests.Audit;

/// <summary>
/// Issue 17, point 1, on a ledger database: every ledger operation is in the hash-chained audit trail, written in the
/// operation's own transaction; the table refuses UPDATE and DELETE; and the verification (in code and as the
/// service's <c>verify-audit</c> command) names the first row that was edited, deleted or swapped behind its back.
/// Each spec that tampers has a database of its own.
/// </summary>
[TestFixture]
public sealed class AuditTrail_Specs
{
    private const string Chain = "ledger-operations";
    private static int databases;

    private static async Task<ScratchLedger> NewLedgerAsync() => await ScratchLedger.CreateAsync($"audit_{Interlocked.Increment(ref databases)}");

    private static string NewTransferId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static async Task<AuditVerification> VerifyAsync(ScratchLedger ledger)
    {
        await using var connection = new MySqlConnection(ledger.ConnectionString);
        await connection.OpenAsync();
        return await AuditVerifier.VerifyAsync(connection);
    }

    /// <summary>Five operations of three transfers: rows 1 to 5 of the chain.</summary>
    private static async Task<(string Account, string Debited)> FiveOperationsAsync(ScratchLedger ledger)
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        var debited = NewTransferId("a1");
        await ledger.RunAsync(ops => ops.DebitAsync(debited, account, 100.00m, "CNY", null));
        await ledger.RunAsync(ops => ops.DebitAsync(NewTransferId("a2"), account, 5_000.00m, "CNY", null));
        await ledger.RunAsync(ops => ops.ReverseDebitAsync(debited, account));
        await ledger.RunAsync(ops => ops.CreditAsync(NewTransferId("a3"), account, 10.00m, "CNY", null));
        await ledger.RunAsync(ops => ops.CancelAsync(NewTransferId("a4"), "DEBIT", account));
        return (account, debited);
    }

    /// <summary>As someone with the server's administrator rights would tamper: the triggers out of the way first.</summary>
    private static async Task TamperAsync(ScratchLedger ledger, string sql)
    {
        await ledger.ExecuteAsync("DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete");
        await ledger.ExecuteAsync(sql);
    }

    [Test]
    public async Task Every_ledger_operation_writes_its_row_in_its_own_transaction_and_the_chain_verifies()
    {
        var ledger = await NewLedgerAsync();
        var (account, debited) = await FiveOperationsAsync(ledger);

        var rows = await ledger.QueryAsync("SELECT seq, action, actor, subject, details FROM audit_log WHERE chain = @c ORDER BY seq", ("@c", Chain));
        var verification = await VerifyAsync(ledger);

        Assert.Multiple(() =>
        {
            Assert.That(rows.Select(r => (string)r[1]!), Is.EqualTo(new[] { "DEBIT_APPLIED", "DEBIT_REJECTED", "REVERSE_DEBIT_APPLIED", "CREDIT_APPLIED", "DEBIT_CANCELLED" }));
            Assert.That(rows.Select(r => Convert.ToInt64(r[0])), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
            Assert.That(rows.Select(r => (string)r[2]!), Has.All.EqualTo("orchestrator"));
            Assert.That((string)rows[0][3]!, Is.EqualTo(debited));
            Assert.That((string)rows[1][4]!, Does.Contain("INSUFFICIENT_BALANCE"));
            Assert.That(rows.Select(r => (string)r[4]!), Has.None.Contains(account), "account numbers are masked");
            Assert.That(verification.Intact, Is.True);
            Assert.That(verification.Chains.Single(c => c.Chain == Chain).LastSeq, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task An_operation_whose_transaction_rolls_back_leaves_no_audit_row()
    {
        var ledger = await NewLedgerAsync();
        var account = await ledger.OpenAccountAsync(1_000.00m);
        await using (var db = ledger.NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted);
            await new LedgerOperations(db).DebitAsync(NewTransferId("rb"), account, 100.00m, "CNY", null);
            await transaction.RollbackAsync();
        }

        Assert.That(await ledger.CountAsync("audit_log"), Is.Zero);
        Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
    }

    [Test]
    public async Task Concurrent_operations_get_consecutive_places_in_the_chain()
    {
        var ledger = await NewLedgerAsync();
        var account = await ledger.OpenAccountAsync(10_000.00m);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => ledger.RunAsync(ops => ops.DebitAsync(NewTransferId($"c{i}"), account, 1.00m, "CNY", null)))));

        var verification = await VerifyAsync(ledger);
        Assert.Multiple(() =>
        {
            Assert.That(verification.Intact, Is.True, string.Join("; ", verification.Chains.Select(c => c.FirstBreak)));
            Assert.That(verification.Chains.Single().Rows, Is.EqualTo(40));
            Assert.That(verification.Chains.Single().LastSeq, Is.EqualTo(40));
        });
    }

    [Test]
    public async Task The_table_refuses_update_and_delete_even_from_the_administrator()
    {
        var ledger = await NewLedgerAsync();
        await FiveOperationsAsync(ledger);

        var update = Assert.ThrowsAsync<MySqlException>(() => ledger.ExecuteAsync("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"));
        var delete = Assert.ThrowsAsync<MySqlException>(() => ledger.ExecuteAsync("DELETE FROM audit_log WHERE seq = 5"));

        Assert.Multiple(async () =>
        {
            Assert.That(update!.Message, Does.Contain("append-only"));
            Assert.That(delete!.Message, Does.Contain("append-only"));
            Assert.That(await ledger.CountAsync("audit_log"), Is.EqualTo(5));
            Assert.That((await VerifyAsync(ledger)).Intact, Is.True);
        });
    }

    [Test]
    public async Task An_edited_row_is_named()
    {
        var ledger = await NewLedgerAsync();
        await FiveOperationsAsync(ledger);
        await TamperAsync(ledger, "UPDATE audit_log SET details = REPLACE(details, '100.00', '1.00') WHERE seq = 1");

        var broken = (await VerifyAsync(ledger)).Chains.Single().FirstBreak;
        Assert.That(broken, Is.EqualTo(new AuditBreak(1, AuditProblems.RowAltered, "the row's content does not match its hash")));
    }

    [Test]
    public async Task A_deleted_row_is_named()
    {
        var ledger = await NewLedgerAsync();
        await FiveOperationsAsync(ledger);
        await TamperAsync(ledger, "DELETE FROM audit_log WHERE seq = 3");

        var broken = (await VerifyAsync(ledger)).Chains.Single().FirstBreak;
        Assert.That((broken?.Seq, broken?.Problem), Is.EqualTo(((long?)4, AuditProblems.RowsMissing)));
        Assert.That(broken!.Detail, Does.Contain("rows 3 to 3 are missing"));
    }

    [Test]
    public async Task Two_swapped_rows_are_named()
    {
        var ledger = await NewLedgerAsync();
        await FiveOperationsAsync(ledger);
        // Rows 2 and 3 exchange places, hashes and all: each is whole, but neither is where it was written.
        await TamperAsync(ledger, """
            UPDATE audit_log SET seq = 1000 WHERE chain = 'ledger-operations' AND seq = 2;
            UPDATE audit_log SET seq = 2 WHERE chain = 'ledger-operations' AND seq = 3;
            UPDATE audit_log SET seq = 3 WHERE chain = 'ledger-operations' AND seq = 1000;
            """);

        var broken = (await VerifyAsync(ledger)).Chains.Single().FirstBreak;
        Assert.That(broken?.Seq, Is.EqualTo(2));
        Assert.That(broken?.Problem, Is.EqualTo(AuditProblems.RowAltered), "the hash covers the row's place");
    }

    [Test]
    public async Task Rows_deleted_from_the_end_are_named_by_the_chains_head()
    {
        var ledger = await NewLedgerAsync();
        await FiveOperationsAsync(ledger);
        await TamperAsync(ledger, "DELETE FROM audit_log WHERE seq >= 4");

        var broken = (await VerifyAsync(ledger)).Chains.Single().FirstBreak;
        Assert.That((broken?.Seq, broken?.Problem), Is.EqualTo(((long?)4, AuditProblems.RowsMissing)));
    }

    [Test]
    public async Task The_verify_audit_command_of_the_service_exits_0_on_an_intact_chain_and_1_naming_the_broken_row()
    {
        var ledger = await NewLedgerAsync();
        await FiveOperationsAsync(ledger);

        var (intactExit, intactOutput) = await VerifyCommandAsync(ledger);
        await TamperAsync(ledger, "UPDATE audit_log SET actor = 'somebody else' WHERE seq = 4");
        var (brokenExit, brokenOutput) = await VerifyCommandAsync(ledger);

        Assert.Multiple(() =>
        {
            Assert.That(intactExit, Is.Zero, intactOutput);
            Assert.That(intactOutput, Does.Contain("\"intact\": true"));
            Assert.That(brokenExit, Is.EqualTo(1), brokenOutput);
            Assert.That(brokenOutput, Does.Contain("\"seq\": 4").And.Contain(AuditProblems.RowAltered));
        });
    }

    private static async Task<(int ExitCode, string Output)> VerifyCommandAsync(ScratchLedger ledger)
    {
        var service = new ServiceProcess("Banking.DebitService", new Dictionary<string, string>
        {
            ["ConnectionStrings__Ledger"] = ledger.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = "amqp://nobody:nothing@127.0.0.1:1/none",
            ["Serilog__MinimumLevel__Default"] = "Warning",
        });
        var (exitCode, output, error) = await service.RunCommandAsync(["verify-audit"], TimeSpan.FromSeconds(60));
        return (exitCode, output + error);
    }
}
