using Banking.Testing;
using MySqlConnector;

namespace Banking.FaultSuite.Tests;

/// <summary>
/// The checks must catch what they are there for. Real transfers run on the real platform, then the ledgers or
/// the saga's records are broken the way a lost guarantee would break them (a credit applied twice, as a missing
/// inbox and claim would allow; a transfer left in flight; an overdraft; a wrong answer) and the checks must name
/// the invariant. Each tamper is undone afterwards.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class BankInvariants_Specs
{
    private const string Source = "6230399991006371427";
    private const string Destination = "6230399991006371428";
    private const string RestrictedDestination = "6230399991006371484";

    private TransferPlatform platform = null!;
    private BankInvariants.Snapshot opening = null!;
    private List<TransferAttempt> attempts = null!;

    [OneTimeSetUp]
    public async Task RunThreeTransfers()
    {
        platform = await TransferPlatform.StartAsync("fault_checks");
        opening = await BankInvariants.SnapshotAsync(platform.Db1, platform.Db2);
        attempts =
        [
            new TransferAttempt("CHK-SUCCESS", Source, Destination, 120.00m, "RABBITMQ") { Acknowledged = true },
            new TransferAttempt("CHK-FAILED", Source, Destination, 9_999_999.00m, "RABBITMQ") { Acknowledged = true },
            new TransferAttempt("CHK-ROLLBACK", Source, RestrictedDestination, 30.00m, "RABBITMQ") { Acknowledged = true },
        ];
        foreach (var attempt in attempts) await platform.SubmitAsync(attempt.TransferId, attempt.From, attempt.To, attempt.Amount);
        var outcomes = new List<string>();
        foreach (var attempt in attempts) outcomes.Add((await platform.WaitForFinalAsync(attempt.TransferId)).Status);
        Assert.That(outcomes, Is.EqualTo(new[] { "SUCCESS", "FAILED", "ROLLBACK" }));
        attempts[0].NewBalance = (await platform.TransferAsync("CHK-SUCCESS"))!.SourceBalanceAfter;
    }

    [OneTimeTearDown]
    public async Task Stop() => await platform.DisposeAsync();

    [Test, Order(0)]
    public async Task Honest_transfers_break_no_invariant()
    {
        var violations = await CheckAsync();
        Assert.That(violations, Is.Empty);
    }

    [Test]
    public async Task A_credit_applied_twice_is_named_as_money_created_and_as_a_SUCCESS_with_two_credits()
    {
        // What a redelivered CreditAccount would do with neither inbox nor claim: a second row and a second credit.
        await ExecuteAsync(platform.Db2, """
            INSERT INTO rb_tran_hist (SEQ_NO, INTERNAL_KEY, CLIENT_NO, BASE_ACCT_NO, TRAN_TYPE, TRAN_AMT, PREVIOUS_BAL_AMT, ACTUAL_BAL, CR_DR_IND, TRAN_DATE, REFERENCE, NARRATIVE, TRAN_STATUS)
            SELECT CONCAT('ffffffff', SUBSTRING(h.SEQ_NO, 9)), h.INTERNAL_KEY, h.CLIENT_NO, h.BASE_ACCT_NO, h.TRAN_TYPE, h.TRAN_AMT,
                   b.TOTAL_AMOUNT, b.TOTAL_AMOUNT + h.TRAN_AMT, h.CR_DR_IND, h.TRAN_DATE, h.REFERENCE, 'duplicate', h.TRAN_STATUS
            FROM rb_tran_hist h JOIN rb_acct_balance b ON b.INTERNAL_KEY = h.INTERNAL_KEY WHERE h.REFERENCE = 'CHK-SUCCESS';
            UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT + 120.00 WHERE a.BASE_ACCT_NO = '6230399991006371428';
            """);
        try
        {
            var violated = (await CheckAsync()).Select(v => v.Invariant).Distinct().ToList();
            Assert.That(violated, Is.EquivalentTo(new[] { BankInvariants.MoneyConserved, BankInvariants.SuccessLedger }));
        }
        finally
        {
            await ExecuteAsync(platform.Db2, """
                DELETE FROM rb_tran_hist WHERE REFERENCE = 'CHK-SUCCESS' AND NARRATIVE = 'duplicate';
                UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT - 120.00 WHERE a.BASE_ACCT_NO = '6230399991006371428';
                """);
        }
    }

    [Test]
    public async Task With_the_credit_ledger_s_inbox_and_claim_removed_a_duplicate_credit_moves_money_twice_and_is_named()
    {
        // The guarantee broken on the running platform, not simulated: CreditService's inbox forgets every message
        // it consumed (what a disabled inbox is to a redelivery), and a duplicate CreditAccount arrives. The claim on
        // (transfer, operation) is the second line and must still hold; with the claim set aside as well, the real
        // CreditService credits a second time and the checks must name it.
        await ExecuteAsync(platform.Db2, "DELETE FROM inbox_state");
        await platform.SendCreditAccountAsync("CHK-SUCCESS", Destination, 120.00m);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.That(await CreditRowsAsync(), Is.EqualTo(1), "the claim alone answers a duplicate the inbox let through");
        Assert.That(await CheckAsync(), Is.Empty);

        await ExecuteAsync(platform.Db2, "UPDATE ledger_operation SET transfer_id = 'CHK-SUCCESS-set-aside' WHERE transfer_id = 'CHK-SUCCESS' AND operation = 'CREDIT'");
        try
        {
            await platform.SendCreditAccountAsync("CHK-SUCCESS", Destination, 120.00m);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await CreditRowsAsync() < 2 && DateTime.UtcNow < deadline) await Task.Delay(200);
            Assert.That(await CreditRowsAsync(), Is.EqualTo(2), "without inbox and claim the duplicate is applied");

            var violated = (await CheckAsync()).Select(v => v.Invariant).Distinct().ToList();
            Assert.That(violated, Is.EquivalentTo(new[] { BankInvariants.MoneyConserved, BankInvariants.SuccessLedger }));
        }
        finally
        {
            // Undo the second credit (its history row is the one its claim points at) and put the first claim back.
            await ExecuteAsync(platform.Db2, """
                UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY
                   JOIN ledger_operation o ON o.transfer_id = 'CHK-SUCCESS' AND o.operation = 'CREDIT' AND o.outcome = 'APPLIED'
                   SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT - o.amount WHERE a.BASE_ACCT_NO = o.account_no;
                DELETE h FROM rb_tran_hist h JOIN ledger_operation o ON o.seq_no = h.SEQ_NO WHERE o.transfer_id = 'CHK-SUCCESS' AND o.operation = 'CREDIT';
                DELETE FROM ledger_operation WHERE transfer_id = 'CHK-SUCCESS' AND operation = 'CREDIT';
                UPDATE ledger_operation SET transfer_id = 'CHK-SUCCESS' WHERE transfer_id = 'CHK-SUCCESS-set-aside';
                """);
        }
        Assert.That(await CheckAsync(), Is.Empty, "the tamper is undone");
    }

    private Task<long> CreditRowsAsync() =>
        TransferPlatform.ScalarAsync<long>(platform.Db2, "SELECT COUNT(*) FROM rb_tran_hist WHERE REFERENCE = @p", "CHK-SUCCESS");

    [Test]
    public async Task A_reversal_that_never_came_is_named_as_money_lost_and_as_a_broken_ROLLBACK()
    {
        await ExecuteAsync(platform.Db1, """
            CREATE TABLE saved_reversal AS SELECT * FROM rb_tran_hist WHERE REFERENCE = 'CHK-ROLLBACK' AND TRAN_TYPE = 'REVCR';
            DELETE FROM rb_tran_hist WHERE REFERENCE = 'CHK-ROLLBACK' AND TRAN_TYPE = 'REVCR';
            UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT - 30.00 WHERE a.BASE_ACCT_NO = '6230399991006371427';
            """);
        try
        {
            var violated = (await CheckAsync()).Select(v => v.Invariant).Distinct().ToList();
            Assert.That(violated, Does.Contain(BankInvariants.MoneyConserved).And.Contain(BankInvariants.RollbackLedger));
        }
        finally
        {
            await ExecuteAsync(platform.Db1, """
                INSERT INTO rb_tran_hist SELECT * FROM saved_reversal;
                DROP TABLE saved_reversal;
                UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT + 30.00 WHERE a.BASE_ACCT_NO = '6230399991006371427';
                """);
        }

        Assert.That(await CheckAsync(), Is.Empty, "restored");
    }

    [Test]
    public async Task A_transfer_left_in_flight_is_named_as_stuck_and_as_acknowledged_but_not_final()
    {
        await ExecuteAsync(platform.Core, "UPDATE transfer_log SET status = 'PENDING', current_state = 'Crediting' WHERE transfer_id = 'CHK-FAILED'");
        try
        {
            var violated = (await CheckAsync()).Select(v => v.Invariant).Distinct().ToList();
            Assert.That(violated, Is.EquivalentTo(new[] { BankInvariants.AcknowledgedIsFinal, BankInvariants.NoneStuck }));
        }
        finally
        {
            await ExecuteAsync(platform.Core, "UPDATE transfer_log SET status = 'FAILED', current_state = 'Failed' WHERE transfer_id = 'CHK-FAILED'");
        }
    }

    [Test]
    public async Task A_request_answered_500_is_named()
    {
        // What the Redis restart of the fault suite once produced: the gateway's batch refused with no connection.
        var unexplained = new TransferAttempt("CHK-500", Source, Destination, 5.00m, "REST") { HttpStatus = 500 };
        var violations = await BankInvariants.CheckAsync(platform.Db1, platform.Db2, platform.Core, opening, [.. attempts, unexplained]);
        Assert.That(violations.Select(v => v.Invariant), Is.EquivalentTo(new[] { BankInvariants.NoInternalError }));
        Assert.That(violations.Single().Detail, Does.Contain("CHK-500"));
    }

    [Test]
    public async Task A_transfer_acknowledged_but_unknown_to_the_saga_is_named()
    {
        var lost = new TransferAttempt("CHK-LOST", Source, Destination, 5.00m, "REST") { Acknowledged = true, HttpStatus = 202 };
        var violations = await BankInvariants.CheckAsync(platform.Db1, platform.Db2, platform.Core, opening, [.. attempts, lost]);
        Assert.That(violations.Select(v => v.Invariant).Distinct(), Is.EquivalentTo(new[] { BankInvariants.AcknowledgedIsFinal }));
        Assert.That(violations.Single().Detail, Does.Contain("CHK-LOST"));
    }

    [Test]
    public async Task A_history_row_that_does_not_continue_the_chain_or_goes_negative_is_named()
    {
        await ExecuteAsync(platform.Db1, "UPDATE rb_tran_hist SET PREVIOUS_BAL_AMT = -5.00 WHERE REFERENCE = 'CHK-SUCCESS'");
        try
        {
            var violated = (await CheckAsync()).Select(v => v.Invariant).Distinct().ToList();
            Assert.That(violated, Does.Contain(BankInvariants.NeverNegative).And.Contain(BankInvariants.ChainContinuous));
        }
        finally
        {
            await ExecuteAsync(platform.Db1, "UPDATE rb_tran_hist SET PREVIOUS_BAL_AMT = ACTUAL_BAL + TRAN_AMT WHERE REFERENCE = 'CHK-SUCCESS'");
        }
    }

    [Test]
    public async Task A_balance_changed_without_a_history_row_is_named()
    {
        await ExecuteAsync(platform.Db2, "UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT + 1.00 WHERE a.BASE_ACCT_NO = '6230399991006371476'");
        try
        {
            var violated = (await CheckAsync()).Select(v => v.Invariant).Distinct().ToList();
            Assert.That(violated, Is.EquivalentTo(new[] { BankInvariants.MoneyConserved, BankInvariants.BalanceIsHistory }));
        }
        finally
        {
            await ExecuteAsync(platform.Db2, "UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT - 1.00 WHERE a.BASE_ACCT_NO = '6230399991006371476'");
        }
    }

    [Test]
    public async Task A_new_balance_answered_that_the_ledger_does_not_hold_is_named()
    {
        var answered = new TransferAttempt("CHK-SUCCESS", Source, Destination, 120.00m, "REST") { Acknowledged = true, HttpStatus = 200, NewBalance = 1.00m };
        var violations = await BankInvariants.CheckAsync(platform.Db1, platform.Db2, platform.Core, opening, [answered, attempts[1], attempts[2]]);
        Assert.That(violations.Select(v => v.Invariant), Is.EquivalentTo(new[] { BankInvariants.NewBalanceAgrees }));
    }

    [Test]
    public async Task A_FAILED_transfer_with_a_ledger_row_is_named()
    {
        await ExecuteAsync(platform.Core, "UPDATE transfer_log SET status = 'FAILED', current_state = 'Failed' WHERE transfer_id = 'CHK-SUCCESS'");
        try
        {
            var violated = (await CheckAsync()).Select(v => v.Invariant).Distinct().ToList();
            // The client was told 200 SUCCESS: a saga that now says otherwise has lost an acknowledged write.
            Assert.That(violated, Is.EquivalentTo(new[] { BankInvariants.FailedLedger, BankInvariants.AnsweredIsKept }));
        }
        finally
        {
            await ExecuteAsync(platform.Core, "UPDATE transfer_log SET status = 'SUCCESS', current_state = 'Completed' WHERE transfer_id = 'CHK-SUCCESS'");
        }
    }

    private Task<List<Violation>> CheckAsync() => BankInvariants.CheckAsync(platform.Db1, platform.Db2, platform.Core, opening, attempts);

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
