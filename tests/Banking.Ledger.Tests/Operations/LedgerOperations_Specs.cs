using System.Diagnostics;
using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Ledger.Data;
using Banking.Ledger.Queries;
using Banking.Ledger.Tests.Support;

namespace Banking.Ledger.Tests.Operations;

/// <summary>
/// The ledger's operations called directly, each in its own DbContext and transaction (as one consumer delivery
/// runs them), against a real MariaDB. One database for the fixture; every test opens its own accounts.
/// </summary>
[TestFixture]
public sealed class LedgerOperations_Specs
{
    private ScratchLedger ledger = null!;

    [OneTimeSetUp]
    public async Task CreateLedger() => ledger = await ScratchLedger.CreateAsync("ledger_ops");

    private static string NewTransferId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(50, prefix.Length + 33)];

    [Test]
    public async Task Two_hundred_concurrent_debits_of_100_on_10_000_apply_exactly_one_hundred_and_end_at_zero()
    {
        var account = await ledger.OpenAccountAsync(10_000.00m);
        var batch = NewTransferId("race");

        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => ledger.RunAsync(ops => ops.DebitAsync($"{batch}-{i}", account, 100.00m, "CNY", "concurrent debit")))));
        clock.Stop();
        TestContext.Progress.WriteLine($"[measure] 200 concurrent debits on one account: {clock.Elapsed.TotalMilliseconds:0} ms, {200 / clock.Elapsed.TotalSeconds:0} ledger operations/s");

        var applied = results.Where(r => r.IsApplied).ToList();
        var rejected = results.Where(r => !r.IsApplied).ToList();
        var history = await ledger.HistoryOfAccountAsync(account);

        Assert.Multiple(async () =>
        {
            Assert.That(applied, Has.Count.EqualTo(100));
            Assert.That(rejected, Has.Count.EqualTo(100));
            Assert.That(rejected, Has.All.Matches<LedgerResult>(r => r.ReasonCode == ReasonCodes.InsufficientBalance && r.Outcome == LedgerOutcomes.Rejected));
            Assert.That(results, Has.None.Matches<LedgerResult>(r => r.IsReplay));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(0.00m));

            // Every applied debit saw a different balance: no two of them read the same row version.
            Assert.That(applied.Select(r => r.BalanceAfter), Is.EquivalentTo(Enumerable.Range(0, 100).Select(i => i * 100.00m)));
            Assert.That(history, Has.Count.EqualTo(100));
            Assert.That(history.Sum(h => h.Amount), Is.EqualTo(10_000.00m - await ledger.BalanceAsync(account)));
            Assert.That(history, Has.All.Matches<HistoryRow>(h => h.Direction == "D" && h.Type == "TRFDR" && h.Before - h.Amount == h.After));
            Assert.That(history.Select(h => h.Reference), Is.EquivalentTo(applied.Select(r => r.TransferId)));
            Assert.That(await ledger.CountAsync("ledger_operation", "transfer_id LIKE @p", ("@p", batch + "-%")), Is.EqualTo(200));
        });
    }

    [Test]
    public async Task Concurrent_deliveries_of_one_debit_apply_it_once_and_all_get_its_outcome()
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("dup");

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 250.00m, "CNY", "duplicate delivery")))));

        Assert.Multiple(async () =>
        {
            Assert.That(results.Count(r => !r.IsReplay), Is.EqualTo(1));
            Assert.That(results, Has.All.Matches<LedgerResult>(r => r.IsApplied && r.BalanceAfter == 750.00m && r.SeqNo == results[0].SeqNo && r.AtUtc == results[0].AtUtc));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(750.00m));
            Assert.That(await ledger.HistoryOfTransferAsync(transfer), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task A_repeated_debit_returns_the_recorded_outcome_and_writes_nothing()
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("again");

        var first = await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 300.00m, "CNY", "first"));
        var operations = await ledger.CountAsync("ledger_operation");
        var historyRows = await ledger.CountAsync("rb_tran_hist");

        // A repeat is answered from the claim, whatever it carries.
        var second = await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 300.00m, "CNY", "second"));
        var third = await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 999.00m, "USD", "changed"));

        Assert.Multiple(async () =>
        {
            Assert.That(first.IsApplied && !first.IsReplay, Is.True);
            Assert.That(second, Is.EqualTo(first with { IsReplay = true }));
            Assert.That(third, Is.EqualTo(first with { IsReplay = true }));
            Assert.That(second.ToDebitReply(), Is.EqualTo(first.ToDebitReply()));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(700.00m));
            Assert.That(await ledger.CountAsync("ledger_operation"), Is.EqualTo(operations));
            Assert.That(await ledger.CountAsync("rb_tran_hist"), Is.EqualTo(historyRows));
        });
    }

    [Test]
    public async Task A_refused_debit_stays_refused_after_the_account_was_topped_up()
    {
        var account = await ledger.OpenAccountAsync(500.00m);
        var transfer = NewTransferId("poor");

        var first = await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 600.00m, "CNY", null));
        var topUp = await ledger.RunAsync(ops => ops.CreditAsync(NewTransferId("topup"), account, 1_000.00m, "CNY", null));
        var repeat = await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 600.00m, "CNY", null));

        Assert.Multiple(async () =>
        {
            Assert.That(first.ReasonCode, Is.EqualTo(ReasonCodes.InsufficientBalance));
            Assert.That(first.AvailableBalance, Is.EqualTo(500.00m));
            Assert.That(topUp.IsApplied, Is.True);
            Assert.That(repeat, Is.EqualTo(first with { IsReplay = true }));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(1_500.00m));
            Assert.That(await ledger.HistoryOfTransferAsync(transfer), Is.Empty);
        });
    }

    [Test]
    public async Task A_debit_arriving_after_its_cancel_is_refused_as_CANCELLED()
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("fenced");

        var cancel = await ledger.RunAsync(ops => ops.CancelAsync(transfer, LedgerOperationKinds.Debit, account));
        var lateDebit = await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 100.00m, "CNY", "late"));

        Assert.Multiple(async () =>
        {
            Assert.That(cancel.Outcome, Is.EqualTo(LedgerOutcomes.Cancelled));
            Assert.That(cancel.ToDebitCancelReply(account).WasAlreadyApplied, Is.False);
            Assert.That(lateDebit.IsApplied, Is.False);
            Assert.That(lateDebit.Outcome, Is.EqualTo(LedgerOutcomes.Cancelled));
            Assert.That(lateDebit.ReasonCode, Is.EqualTo(ReasonCodes.Cancelled));
            Assert.That(lateDebit.ToDebitReply(), Is.TypeOf<DebitRejected>().With.Property(nameof(DebitRejected.ReasonCode)).EqualTo(ReasonCodes.Cancelled));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
            Assert.That(await ledger.HistoryOfTransferAsync(transfer), Is.Empty);
        });
    }

    [Test]
    public async Task A_cancel_after_the_debit_answers_that_it_was_already_applied()
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("tooLate");

        var debit = await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 400.00m, "CNY", null));
        var cancel = await ledger.RunAsync(ops => ops.CancelAsync(transfer, LedgerOperationKinds.Debit, account));
        var reply = cancel.ToDebitCancelReply(account);

        Assert.Multiple(async () =>
        {
            Assert.That(debit.IsApplied, Is.True);
            Assert.That(cancel.IsApplied, Is.True);
            Assert.That(reply.WasAlreadyApplied, Is.True);
            Assert.That(reply.BalanceAfter, Is.EqualTo(600.00m));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(600.00m));
            Assert.That(await ledger.HistoryOfTransferAsync(transfer), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task A_credit_arriving_after_its_cancel_is_refused_and_a_cancel_after_a_rejection_reports_it()
    {
        var account = await ledger.OpenAccountAsync(0.00m);
        var fenced = NewTransferId("cfence");
        var refused = NewTransferId("crefused");

        await ledger.RunAsync(ops => ops.CancelAsync(fenced, LedgerOperationKinds.Credit, account));
        var lateCredit = await ledger.RunAsync(ops => ops.CreditAsync(fenced, account, 10.00m, "CNY", null));
        await ledger.RunAsync(ops => ops.CreditAsync(refused, account, 10.00m, "USD", null));
        var cancelOfRefused = await ledger.RunAsync(ops => ops.CancelAsync(refused, LedgerOperationKinds.Credit, account));

        Assert.Multiple(async () =>
        {
            Assert.That(lateCredit.ToCreditReply(), Is.TypeOf<CreditRejected>().With.Property(nameof(CreditRejected.ReasonCode)).EqualTo(ReasonCodes.Cancelled));
            Assert.That(cancelOfRefused.ToCreditCancelReply(account).WasAlreadyApplied, Is.False);
            Assert.That(cancelOfRefused.ToCreditCancelReply(account).PriorRejectionCode, Is.EqualTo(ReasonCodes.CurrencyMismatch));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(0.00m));
        });
    }

    [Test]
    public async Task A_reversal_applies_once_and_credits_back_exactly_the_debited_amount()
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("rev");

        await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 123.45m, "CNY", "to be reversed"));
        var reversals = new List<LedgerResult>();
        for (var i = 0; i < 3; i++) reversals.Add(await ledger.RunAsync(ops => ops.ReverseDebitAsync(transfer, account)));
        var history = await ledger.HistoryOfTransferAsync(transfer);

        Assert.Multiple(async () =>
        {
            Assert.That(reversals[0].IsApplied && !reversals[0].IsReplay, Is.True);
            Assert.That(reversals[0].Amount, Is.EqualTo(123.45m));
            Assert.That(reversals[0].BalanceBefore, Is.EqualTo(876.55m));
            Assert.That(reversals[0].BalanceAfter, Is.EqualTo(1_000.00m));
            Assert.That(reversals.Skip(1), Has.All.EqualTo(reversals[0] with { IsReplay = true }));
            Assert.That(reversals[0].ToReversalReply().DebitWasApplied, Is.True);
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
            Assert.That(history.Select(h => (h.Type, h.Direction, h.Amount, h.Reference)),
                Is.EquivalentTo(new[] { ("TRFDR", "D", 123.45m, (string?)transfer), ("REVCR", "C", 123.45m, transfer) }));
        });
    }

    [Test]
    public async Task A_reversal_of_a_debit_that_never_happened_is_a_no_op_that_fences_a_later_debit()
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("revfirst");

        var reversal = await ledger.RunAsync(ops => ops.ReverseDebitAsync(transfer, account));
        var lateDebit = await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 100.00m, "CNY", "late"));
        var reversalAgain = await ledger.RunAsync(ops => ops.ReverseDebitAsync(transfer, account));

        Assert.Multiple(async () =>
        {
            Assert.That(reversal.Outcome, Is.EqualTo(LedgerOutcomes.NoOp));
            Assert.That(reversal.ToReversalReply().DebitWasApplied, Is.False);
            Assert.That(lateDebit.IsApplied, Is.False);
            Assert.That(lateDebit.ReasonCode, Is.EqualTo(ReasonCodes.Cancelled));
            Assert.That(reversalAgain, Is.EqualTo(reversal with { IsReplay = true }));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
            Assert.That(await ledger.HistoryOfTransferAsync(transfer), Is.Empty);
        });
    }

    [Test]
    public async Task A_reversal_of_a_rejected_debit_gives_nothing_back()
    {
        var account = await ledger.OpenAccountAsync(50.00m);
        var transfer = NewTransferId("revrej");

        await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 100.00m, "CNY", null));
        var reversal = await ledger.RunAsync(ops => ops.ReverseDebitAsync(transfer, account));

        Assert.Multiple(async () =>
        {
            Assert.That(reversal.Outcome, Is.EqualTo(LedgerOutcomes.NoOp));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(50.00m));
            Assert.That(await ledger.HistoryOfTransferAsync(transfer), Is.Empty);
        });
    }

    [Test]
    public async Task A_reversal_credits_back_even_when_the_account_was_restricted_after_the_debit()
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("revfrozen");

        await ledger.RunAsync(ops => ops.DebitAsync(transfer, account, 200.00m, "CNY", null));
        await ledger.SetStatusAsync(account, "F");
        var reversal = await ledger.RunAsync(ops => ops.ReverseDebitAsync(transfer, account));

        Assert.Multiple(async () =>
        {
            Assert.That(reversal.IsApplied, Is.True);
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
            Assert.That((await ledger.HistoryOfTransferAsync(transfer)).Select(h => h.Direction), Is.EquivalentTo(new[] { "D", "C" }));
        });
    }

    [TestCase(LedgerOperationKinds.Debit, "R")]
    [TestCase(LedgerOperationKinds.Debit, "F")]
    [TestCase(LedgerOperationKinds.Debit, "C")]
    [TestCase(LedgerOperationKinds.Debit, "D")]
    [TestCase(LedgerOperationKinds.Credit, "R")]
    [TestCase(LedgerOperationKinds.Credit, "C")]
    public async Task An_account_not_active_is_rejected_as_ACCOUNT_RESTRICTED_and_nothing_is_written(string operation, string status)
    {
        var account = await ledger.OpenAccountAsync(1_000.00m, status);
        await AssertRejectedWithoutEffectAsync(operation, account, 10.00m, "CNY", ReasonCodes.AccountRestricted);
    }

    [TestCase(LedgerOperationKinds.Debit)]
    [TestCase(LedgerOperationKinds.Credit)]
    public async Task An_unknown_account_is_rejected_as_ACCOUNT_NOT_FOUND_and_nothing_is_written(string operation) =>
        await AssertRejectedWithoutEffectAsync(operation, "66999999999999", 10.00m, "CNY", ReasonCodes.AccountNotFound);

    [TestCase(LedgerOperationKinds.Debit)]
    [TestCase(LedgerOperationKinds.Credit)]
    public async Task An_operation_in_another_currency_is_rejected_as_CURRENCY_MISMATCH_and_nothing_is_written(string operation)
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        await AssertRejectedWithoutEffectAsync(operation, account, 10.00m, "USD", ReasonCodes.CurrencyMismatch);
    }

    [TestCase(0)]
    [TestCase(-5)]
    [TestCase(0.001)]
    public async Task A_malformed_amount_is_rejected_as_VALIDATION_ERROR_and_nothing_is_written(decimal amount)
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        await AssertRejectedWithoutEffectAsync(LedgerOperationKinds.Debit, account, amount, "CNY", ReasonCodes.ValidationError);
    }

    [Test]
    public async Task A_ledger_operation_outside_a_transaction_is_refused()
    {
        var account = await ledger.OpenAccountAsync(1_000.00m);
        await using var db = ledger.NewContext();
        var operations = new LedgerOperations(db);

        Assert.ThrowsAsync<InvalidOperationException>(() => operations.DebitAsync(NewTransferId("notx"), account, 1.00m, "CNY", null));
        Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
    }

    [Test]
    public async Task The_balance_query_answers_what_is_committed()
    {
        var account = await ledger.OpenAccountAsync(321.00m, currency: "USD");
        await using var db = ledger.NewContext();
        var query = new GetAccountBalanceConsumer(db);

        var snapshot = await query.ReadAsync(account);
        var unknown = await query.ReadAsync("66000000000000");

        Assert.Multiple(() =>
        {
            Assert.That(snapshot, Is.Not.Null);
            Assert.That(snapshot!.Balance, Is.EqualTo(321.00m));
            Assert.That(snapshot.Currency, Is.EqualTo("USD"));
            Assert.That(snapshot.Status, Is.EqualTo("A"));
            Assert.That(unknown, Is.Null);
        });
    }

    [Test]
    public async Task Throughput_of_sequential_and_parallel_batches_is_measured()
    {
        const int sequential = 200;
        const int parallel = 1_000;
        const int accounts = 10;
        var one = await ledger.OpenAccountAsync(1_000_000.00m);
        var many = new List<string>();
        for (var i = 0; i < accounts; i++) many.Add(await ledger.OpenAccountAsync(1_000_000.00m));
        var batch = NewTransferId("tput");

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < sequential; i++)
        {
            var id = $"{batch}-s{i}";
            await ledger.RunAsync(ops => ops.DebitAsync(id, one, 1.00m, "CNY", null));
        }

        var sequentialRate = sequential / clock.Elapsed.TotalSeconds;

        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, parallel), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            var id = $"{batch}-p{i}";
            await ledger.RunAsync(ops => ops.DebitAsync(id, many[i % accounts], 1.00m, "CNY", null));
        });
        var parallelRate = parallel / clock.Elapsed.TotalSeconds;

        TestContext.Progress.WriteLine($"[measure] sequential: {sequential} debits on one account, {sequentialRate:0} ledger operations/s");
        TestContext.Progress.WriteLine($"[measure] parallel (32 workers, {accounts} accounts): {parallel} debits, {parallelRate:0} ledger operations/s");

        Assert.Multiple(async () =>
        {
            Assert.That(await ledger.BalanceAsync(one), Is.EqualTo(1_000_000.00m - sequential));
            foreach (var account in many) Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(1_000_000.00m - parallel / accounts));
        });
    }

    private async Task AssertRejectedWithoutEffectAsync(string operation, string account, decimal amount, string currency, string reasonCode)
    {
        var transfer = NewTransferId("reject");
        var balancesBefore = await ledger.QueryAsync("SELECT INTERNAL_KEY, TOTAL_AMOUNT, LAST_CHANGE_DATE FROM rb_acct_balance ORDER BY INTERNAL_KEY");
        var historyBefore = await ledger.CountAsync("rb_tran_hist");

        var result = await ledger.RunAsync(ops => operation == LedgerOperationKinds.Debit
            ? ops.DebitAsync(transfer, account, amount, currency, null)
            : ops.CreditAsync(transfer, account, amount, currency, null));

        Assert.Multiple(async () =>
        {
            Assert.That(result.Outcome, Is.EqualTo(LedgerOutcomes.Rejected));
            Assert.That(result.ReasonCode, Is.EqualTo(reasonCode));
            Assert.That(await ledger.QueryAsync("SELECT INTERNAL_KEY, TOTAL_AMOUNT, LAST_CHANGE_DATE FROM rb_acct_balance ORDER BY INTERNAL_KEY"), Is.EqualTo(balancesBefore));
            Assert.That(await ledger.CountAsync("rb_tran_hist"), Is.EqualTo(historyBefore));
            Assert.That(await ledger.HistoryOfTransferAsync(transfer), Is.Empty);

            // The refusal is recorded, so that it is also the answer to every repeat.
            Assert.That(await ledger.CountAsync("ledger_operation", "transfer_id = @t AND outcome = 'REJECTED'", ("@t", transfer)), Is.EqualTo(1));
        });
    }
}
