using System.Diagnostics;
using Banking.Contracts;
using Banking.Contracts.Accounts;
using Banking.Contracts.Ledger;
using Banking.Ledger.Tests.Support;
using Banking.Testing;

namespace Banking.Ledger.Tests.Services;

/// <summary>
/// DebitService as a real process (the built DLL) on its own database and virtual host per test, driven through
/// RabbitMQ as the orchestrator drives it; effects are read back from MariaDB and from the replies it publishes.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DebitService_Specs
{
    private static int serial;

    private static string NewName(string what) => $"svc_{what}_{Interlocked.Increment(ref serial)}";

    private static string NewTransferId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static DebitAccount Debit(string transferId, string account, decimal amount) =>
        new() { TransferId = transferId, AccountNo = account, Amount = amount, Currency = "CNY", Narrative = "service spec" };

    [Test]
    public async Task One_DebitAccount_delivered_ten_times_in_sequence_moves_the_money_once_and_every_reply_is_the_same()
    {
        await using var service = await LedgerService.DebitAsync(NewName("seq"));
        var account = await service.Ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("seq");
        var command = Debit(transfer, account, 250.00m);
        var messageId = Guid.NewGuid();

        await service.Replies.SendAsync(Endpoints.DebitLedger, command, messageId);
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(transfer, nameof(AccountDebited)).Count == 1), "the first reply");

        // Each repeat is sent only once the service has taken the previous one: deliveries strictly one after another.
        for (var i = 1; i < 10; i++)
        {
            var seen = await service.ReceiveCountAsync(messageId);
            await service.Replies.SendAsync(Endpoints.DebitLedger, command, messageId);
            await Eventually.HoldsAsync(async () => await service.ReceiveCountAsync(messageId) > seen, $"delivery {i + 1} reaching the inbox");
        }

        // The orchestrator retrying the step sends the same command under new message ids: the ledger's claim answers.
        for (var i = 0; i < 3; i++) await service.Replies.SendAsync(Endpoints.DebitLedger, command, Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(transfer, nameof(AccountDebited)).Count >= 4), "the replies to the retried steps");

        var debited = service.Replies.For(transfer, nameof(AccountDebited));
        // The outbox row is removed just after its message went out, so a reply can arrive a moment before.
        await Eventually.HoldsAsync(async () => await service.Ledger.CountAsync("outbox_message") == 0, "the outbox emptied after delivery");
        Assert.Multiple(async () =>
        {
            Assert.That(debited, Has.Count.EqualTo(4), "one reply per distinct message id");
            Assert.That(debited.Select(r => r.Message), Has.All.EqualTo(debited[0].Message));
            Assert.That(((AccountDebited)debited[0].Message).BalanceAfter, Is.EqualTo(750.00m));
            Assert.That(service.Replies.For(transfer, nameof(DebitRejected)), Is.Empty);
            Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(750.00m));
            Assert.That(await service.Ledger.HistoryOfTransferAsync(transfer), Has.Count.EqualTo(1));
            Assert.That(await service.Ledger.CountAsync("ledger_operation", "transfer_id = @t", ("@t", transfer)), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task One_DebitAccount_from_ten_concurrent_publishers_moves_the_money_once_and_is_answered_once()
    {
        await using var service = await LedgerService.DebitAsync(NewName("conc"));
        var account = await service.Ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("conc");
        var messageId = Guid.NewGuid();
        var body = LedgerService.Envelope(nameof(DebitAccount), Debit(transfer, account, 100.00m), messageId);

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => service.PublishRawAsync(Endpoints.DebitLedger, body, messageId))));

        await Eventually.HoldsAsync(async () => await service.ReceiveCountAsync(messageId) >= 10, "all ten deliveries reaching the inbox",
            describe: async () => $"receive count {await service.ReceiveCountAsync(messageId)}");
        await Eventually.HoldsAsync(async () => await service.Ledger.CountAsync("inbox_state", "message_id = @m AND delivered IS NOT NULL", ("@m", messageId.ToString())) == 1,
            "the reply's delivery");
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(transfer).Count >= 1), "the reply arriving");

        Assert.Multiple(async () =>
        {
            Assert.That(service.Replies.For(transfer).Select(r => r.Type), Is.EquivalentTo(new[] { nameof(AccountDebited) }));
            Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(900.00m));
            Assert.That(await service.Ledger.HistoryOfTransferAsync(transfer), Has.Count.EqualTo(1));
            Assert.That(await service.Ledger.CountAsync("ledger_operation", "transfer_id = @t", ("@t", transfer)), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_message_id_seen_before_is_acknowledged_without_effect_whatever_it_carries()
    {
        await using var service = await LedgerService.DebitAsync(NewName("inbox"));
        var account = await service.Ledger.OpenAccountAsync(1_000.00m);
        var first = NewTransferId("inbox1");
        var second = NewTransferId("inbox2");
        var messageId = Guid.NewGuid();

        await service.Replies.SendAsync(Endpoints.DebitLedger, Debit(first, account, 100.00m), messageId);
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(first, nameof(AccountDebited)).Count == 1), "the first reply");
        var seen = await service.ReceiveCountAsync(messageId);

        // The inbox, not the ledger's claim, stops this one: it names a transfer the ledger has never seen.
        await service.Replies.SendAsync(Endpoints.DebitLedger, Debit(second, account, 300.00m), messageId);
        await Eventually.HoldsAsync(async () => await service.ReceiveCountAsync(messageId) > seen, "the redelivery reaching the inbox");
        var marker = NewTransferId("marker");
        await service.Replies.SendAsync(Endpoints.DebitLedger, Debit(marker, account, 1.00m), Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(marker, nameof(AccountDebited)).Count == 1), "a later message's reply");

        Assert.Multiple(async () =>
        {
            Assert.That(service.Replies.For(second), Is.Empty);
            Assert.That(await service.Ledger.CountAsync("ledger_operation", "transfer_id = @t", ("@t", second)), Is.Zero);
            Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(899.00m));
        });
    }

    [Test]
    public async Task A_DebitAccount_without_a_message_id_is_refused_to_the_error_queue_and_not_applied()
    {
        await using var service = await LedgerService.DebitAsync(NewName("noid"));
        var account = await service.Ledger.OpenAccountAsync(1_000.00m);
        var transfer = NewTransferId("noid");

        await service.PublishRawAsync(Endpoints.DebitLedger, LedgerService.Envelope(nameof(DebitAccount), Debit(transfer, account, 100.00m), messageId: null), messageId: null);

        var errorQueue = Endpoints.DebitLedger + "_error";
        await Eventually.HoldsAsync(async () => await service.ReadyMessagesAsync(errorQueue) == 1, "the message in " + errorQueue);
        var headers = await service.PeekHeadersAsync(errorQueue);
        TestContext.Progress.WriteLine($"fault: {headers.GetValueOrDefault("MT-Fault-ExceptionType")}: {headers.GetValueOrDefault("MT-Fault-Message")}");

        Assert.Multiple(async () =>
        {
            Assert.That(headers.GetValueOrDefault("MT-Fault-Message"), Does.Contain("MessageId"));
            Assert.That(await service.Ledger.CountAsync("ledger_operation", "transfer_id = @t", ("@t", transfer)), Is.Zero);
            Assert.That(await service.Ledger.CountAsync("inbox_state"), Is.Zero);
            Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
            Assert.That(service.Replies.For(transfer).Where(r => r.Type != "Fault"), Is.Empty);
        });
    }

    [Test]
    public async Task Two_instances_on_one_queue_never_apply_an_operation_twice_under_load()
    {
        await using var service = await LedgerService.DebitAsync(NewName("pair"), instances: 2);
        var accounts = new List<string>();
        for (var i = 0; i < 3; i++) accounts.Add(await service.Ledger.OpenAccountAsync(10_000.00m));

        // 300 debits averaging 150.00 against 30,000.00 in all: about a third are refused for want of money. Every
        // tenth is delivered twice under its message id, every seventh again under a new one (a retried step).
        var random = new Random(4711);
        var commands = Enumerable.Range(0, 300)
            .Select(i => (Id: Guid.NewGuid(), Command: Debit(NewTransferId($"pair{i}"), accounts[i % 3], random.Next(50, 251))))
            .ToList();
        var sends = commands.Select(c => (c.Id, c.Command)).ToList();
        sends.AddRange(commands.Where((_, i) => i % 10 == 0).Select(c => (c.Id, c.Command)));
        sends.AddRange(commands.Where((_, i) => i % 7 == 0).Select(c => (Guid.NewGuid(), c.Command)));

        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(sends, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (send, _) =>
            await service.Replies.SendAsync(Endpoints.DebitLedger, send.Command, send.Item1));
        var distinctIds = sends.Select(s => s.Item1).Distinct().Count();
        await Eventually.HoldsAsync(
            async () => await service.Ledger.CountAsync("inbox_state", "delivered IS NOT NULL") == distinctIds,
            "every message consumed and answered",
            describe: async () => $"{await service.Ledger.CountAsync("inbox_state", "delivered IS NOT NULL")} of {distinctIds}");
        clock.Stop();
        TestContext.Progress.WriteLine($"[measure] two DebitService instances: {sends.Count} deliveries ({commands.Count} debits) in {clock.Elapsed.TotalSeconds:0.0} s, {sends.Count / clock.Elapsed.TotalSeconds:0} messages/s end to end");

        await Eventually.HoldsAsync(
            () => Task.FromResult(commands.All(c => service.Replies.For(c.Command.TransferId).Any(r => r.Type is nameof(AccountDebited) or nameof(DebitRejected)))),
            "a reply to every debit");

        var operations = await service.Ledger.QueryAsync("SELECT transfer_id, outcome, amount, account_no FROM ledger_operation");
        var applied = operations.Where(o => (string)o[1]! == "APPLIED").ToList();
        // The outbox row is removed just after its message went out, so a reply can arrive a moment before.
        await Eventually.HoldsAsync(async () => await service.Ledger.CountAsync("outbox_message") == 0, "the outbox emptied after delivery");
        Assert.Multiple(async () =>
        {
            Assert.That(operations, Has.Count.EqualTo(commands.Count));
            Assert.That(applied, Has.Count.GreaterThan(100), "enough debits were applied to make the test meaningful");
            Assert.That(operations.Count - applied.Count, Is.GreaterThan(0), "some debits ran out of money");
            Assert.That(await service.Ledger.CountAsync("rb_tran_hist"), Is.EqualTo(applied.Count));

            foreach (var account in accounts)
            {
                var spent = applied.Where(o => (string)o[3]! == account).Sum(o => (decimal)o[2]!);
                var history = await service.Ledger.HistoryOfAccountAsync(account);
                Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(10_000.00m - spent), account);
                Assert.That(history.Sum(h => h.Amount), Is.EqualTo(spent), account);
                AssertOneChain(history, 10_000.00m, 10_000.00m - spent);
            }

            foreach (var (_, command) in commands)
            {
                var answers = service.Replies.For(command.TransferId);
                Assert.That(answers.Select(r => r.Message).Distinct().Count(), Is.EqualTo(1), $"{command.TransferId} was answered differently");
            }
        });
    }

    [Test]
    public async Task Killed_mid_burst_the_service_answers_every_debit_after_a_restart_and_leaves_no_reply_behind()
    {
        await using var service = await LedgerService.DebitAsync(NewName("kill"));
        var accounts = new List<string>();
        for (var i = 0; i < 4; i++) accounts.Add(await service.Ledger.OpenAccountAsync(1_000_000.00m));
        var commands = Enumerable.Range(0, 400).Select(i => Debit(NewTransferId($"kill{i}"), accounts[i % 4], 10.00m + i)).ToList();

        await Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (command, _) =>
            await service.Replies.SendAsync(Endpoints.DebitLedger, command, Guid.NewGuid()));

        // kill -9 once the burst is well under way: some debits are committed with their replies still in the outbox,
        // some are mid-transaction, most have not been delivered yet.
        await Eventually.HoldsAsync(async () => await service.Ledger.CountAsync("ledger_operation") >= 60, "the burst getting under way");
        await service.Process.KillAsync();
        var atKill = await service.Ledger.CountAsync("ledger_operation");
        var pendingAtKill = await service.Ledger.CountAsync("outbox_message");
        var consumedNotDelivered = await service.Ledger.CountAsync("inbox_state", "consumed IS NOT NULL AND delivered IS NULL");
        TestContext.Progress.WriteLine($"killed with {atKill} of {commands.Count} debits applied, {pendingAtKill} replies in the outbox, {consumedNotDelivered} messages consumed but not delivered");

        await service.Process.StartAsync();
        await Eventually.HoldsAsync(
            () => Task.FromResult(commands.All(c => service.Replies.For(c.TransferId, nameof(AccountDebited)).Count > 0)),
            "a reply to every debit after the restart",
            describe: () => Task.FromResult($"{commands.Count(c => service.Replies.For(c.TransferId, nameof(AccountDebited)).Count > 0)} of {commands.Count} answered"));
        await Eventually.HoldsAsync(async () => await service.Ledger.CountAsync("outbox_message") == 0, "the outbox emptied");

        var physicalDuplicates = commands.Sum(c => service.Replies.For(c.TransferId, nameof(AccountDebited)).Count - 1);
        TestContext.Progress.WriteLine($"replies delivered twice at the broker (same message id, dropped by any inbox): {physicalDuplicates}");
        var stored = (await service.Ledger.QueryAsync("SELECT transfer_id, balance_after FROM ledger_operation"))
            .ToDictionary(r => (string)r[0]!, r => (decimal)r[1]!);

        Assert.Multiple(async () =>
        {
            Assert.That(stored, Has.Count.EqualTo(commands.Count));
            Assert.That(await service.Ledger.CountAsync("rb_tran_hist"), Is.EqualTo(commands.Count));
            Assert.That(await service.Ledger.CountAsync("inbox_state", "delivered IS NULL"), Is.Zero);
            Assert.That(await service.Ledger.CountAsync("outbox_message"), Is.Zero);
            foreach (var command in commands)
            {
                var replies = service.Replies.For(command.TransferId, nameof(AccountDebited));
                Assert.That(replies.Select(r => r.MessageId).Distinct().Count(), Is.EqualTo(1), $"{command.TransferId}: one reply");
                Assert.That(((AccountDebited)replies[0].Message).BalanceAfter, Is.EqualTo(stored[command.TransferId]), $"{command.TransferId}: the stored outcome");
            }

            foreach (var (account, i) in accounts.Select((a, i) => (a, i)))
            {
                var spent = commands.Where(c => c.AccountNo == account).Sum(c => c.Amount);
                Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(1_000_000.00m - spent), account);
                AssertOneChain(await service.Ledger.HistoryOfAccountAsync(account), 1_000_000.00m, 1_000_000.00m - spent);
            }
        });
    }

    [Test]
    public async Task Reverse_and_cancel_through_the_service_compensate_exactly_once()
    {
        await using var service = await LedgerService.DebitAsync(NewName("comp"));
        var account = await service.Ledger.OpenAccountAsync(1_000.00m);
        var reversed = NewTransferId("rev");
        var fenced = NewTransferId("fence");

        await service.Replies.SendAsync(Endpoints.DebitLedger, Debit(reversed, account, 300.00m), Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(reversed, nameof(AccountDebited)).Count == 1), "the debit");
        var reverse = new ReverseDebit { TransferId = reversed, AccountNo = account, Amount = 300.00m, Currency = "CNY" };
        await service.Replies.SendAsync(Endpoints.DebitLedger, reverse, Guid.NewGuid());
        await service.Replies.SendAsync(Endpoints.DebitLedger, reverse, Guid.NewGuid());
        await service.Replies.SendAsync(Endpoints.DebitLedger, new CancelDebit { TransferId = fenced, AccountNo = account }, Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(fenced, nameof(DebitCancelled)).Count == 1), "the cancel's answer");
        await service.Replies.SendAsync(Endpoints.DebitLedger, Debit(fenced, account, 50.00m), Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(reversed, nameof(DebitReversed)).Count == 2 && service.Replies.For(fenced, nameof(DebitRejected)).Count == 1),
            "the answers to the reversals and the late debit");

        Assert.Multiple(async () =>
        {
            Assert.That(service.Replies.For(reversed, nameof(DebitReversed)).Select(r => r.Message), Has.All.EqualTo(service.Replies.For(reversed, nameof(DebitReversed))[0].Message));
            Assert.That(((DebitReversed)service.Replies.For(reversed, nameof(DebitReversed))[0].Message).DebitWasApplied, Is.True);
            Assert.That(((DebitCancelled)service.Replies.For(fenced, nameof(DebitCancelled))[0].Message).WasAlreadyApplied, Is.False);
            Assert.That(((DebitRejected)service.Replies.For(fenced, nameof(DebitRejected))[0].Message).ReasonCode, Is.EqualTo(ReasonCodes.Cancelled));
            Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
            Assert.That((await service.Ledger.HistoryOfTransferAsync(reversed)).Select(h => h.Direction), Is.EquivalentTo(new[] { "D", "C" }));
            Assert.That(await service.Ledger.HistoryOfTransferAsync(fenced), Is.Empty);
        });
    }

    /// <summary>The account's debits form one unbroken chain of balances: no two changes started from the same balance.</summary>
    private static void AssertOneChain(IReadOnlyList<HistoryRow> history, decimal opening, decimal closing)
    {
        var expected = opening;
        foreach (var row in history.OrderByDescending(h => h.Before))
        {
            Assert.That(row.Before, Is.EqualTo(expected), $"{row.SeqNo} does not follow the previous change");
            Assert.That(row.Before - row.Amount, Is.EqualTo(row.After));
            expected = row.After;
        }

        Assert.That(expected, Is.EqualTo(closing));
    }
}
