using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Ledger.Tests.Support;
using Banking.Testing;

namespace Banking.Ledger.Tests.Services;

/// <summary>
/// Two DebitService instances on one queue, each committing groups of debits at the same time, every group holding
/// the same hot account among others and in its own order: the accounts are locked once per group in account order,
/// so the groups queue on the hot account instead of deadlocking, and each sees the balance the other committed.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HotAccountGroups_Specs
{
    private const decimal HotOpening = 1_000_000.00m;
    private const decimal ColdOpening = 100_000.00m;

    [Test]
    public async Task Two_instances_whose_groups_share_a_hot_account_apply_every_debit_once_in_one_unbroken_chain_without_a_deadlock()
    {
        await using var service = await LedgerService.DebitAsync("svc_hot_groups", instances: 2);
        var hot = await service.Ledger.OpenAccountAsync(HotOpening);
        var cold = new List<string>();
        for (var i = 0; i < 5; i++) cold.Add(await service.Ledger.OpenAccountAsync(ColdOpening));

        // Every other debit is on the hot account, the rest on the cold ones, in a shuffled order: whatever a group
        // takes, it holds the hot account and cold ones in an order of its own. Amounts in cents, never rounded.
        var random = new Random(1414);
        var commands = Enumerable.Range(0, 400).Select(i => new DebitAccount
        {
            TransferId = $"hot{i}-{Guid.NewGuid():N}",
            AccountNo = i % 2 == 0 ? hot : cold[random.Next(cold.Count)],
            Amount = random.Next(1, 10_000) / 100m,
            Currency = "CNY",
            Narrative = "hot account spec",
        }).ToArray();
        random.Shuffle(commands);

        await Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (command, _) =>
            await service.Replies.SendAsync(Endpoints.DebitLedger, command, Guid.NewGuid()));
        await Eventually.HoldsAsync(
            () => Task.FromResult(commands.All(c => service.Replies.For(c.TransferId, nameof(AccountDebited)).Count > 0)),
            "a reply to every debit",
            describe: () => Task.FromResult($"{commands.Count(c => service.Replies.For(c.TransferId, nameof(AccountDebited)).Count > 0)} of {commands.Length} answered"));
        await Eventually.HoldsAsync(async () => await service.Ledger.CountAsync("outbox_message") == 0, "the outbox emptied after delivery");

        var groups = await Task.WhenAll(service.Processes.Select(p => GroupCommitCounts.OfAsync(p)));
        foreach (var (g, i) in groups.Select((g, i) => (g, i)))
            TestContext.Progress.WriteLine($"instance {i}: {g.Committed} groups committed, {g.Messages} messages in them, {g.Failed} groups failed, {g.AuditHeadMoved} ran again on a moved audit head");

        var operations = (await service.Ledger.QueryAsync("SELECT transfer_id, outcome, amount, account_no FROM ledger_operation"))
            .ToDictionary(o => (string)o[0]!);
        await using var verify = new MySqlConnector.MySqlConnection(service.Ledger.ConnectionString);
        await verify.OpenAsync();
        // Both instances chain on one audit chain: each group chains from the head its instance committed last, so the
        // other instance's groups move it behind its back, and those groups must run again, never break the chain.
        var audit = await Banking.Messaging.Audit.AuditVerifier.VerifyAsync(verify);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(audit.Intact, Is.True, string.Join("; ", audit.Chains.Select(c => c.FirstBreak)));
            Assert.That(audit.Chains.Single(c => c.Chain == Endpoints.DebitLedger).Rows, Is.EqualTo(commands.Length), "an audit row lost or written twice");
            foreach (var g in groups)
            {
                Assert.That(g.Messages, Is.GreaterThan(g.Committed), "an instance never committed a group of several: nothing raced");
                // A deadlock (or a lock wait timeout) rolls a group back and shows here; nothing else can fail these.
                Assert.That(g.Failed, Is.Zero, "a group failed: the instances' groups locked the accounts in opposite orders");
            }

            Assert.That(operations, Has.Count.EqualTo(commands.Length), "an operation was lost or recorded twice");
            Assert.That(operations.Values.Count(o => (string)o[1]! == "APPLIED"), Is.EqualTo(commands.Length), "a debit was not applied");
            Assert.That(await service.Ledger.CountAsync("rb_tran_hist"), Is.EqualTo(commands.Length), "a debit left no history row, or two");
            foreach (var command in commands)
            {
                var replies = service.Replies.For(command.TransferId, nameof(AccountDebited));
                Assert.That(replies.Select(r => r.MessageId).Distinct().Count(), Is.EqualTo(1), $"{command.TransferId}: answered more than once");
                Assert.That((decimal)operations[command.TransferId][2]!, Is.EqualTo(command.Amount), $"{command.TransferId}: the amount changed");
            }

            foreach (var account in cold.Prepend(hot))
            {
                var opening = account == hot ? HotOpening : ColdOpening;
                var spent = commands.Where(c => c.AccountNo == account).Sum(c => c.Amount);
                var history = await service.Ledger.HistoryOfAccountAsync(account);
                Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(opening - spent), $"{account}: the balance is not the opening less every debit");
                Assert.That(history, Has.Count.EqualTo(commands.Count(c => c.AccountNo == account)), account);
                AssertOneChain(account, history, opening, opening - spent);
            }
        }
    }

    /// <summary>
    /// The account's debits as one unbroken chain: from the opening balance, each row starts from the balance the
    /// previous one left (<c>PREVIOUS_BAL_AMT</c> = the previous <c>ACTUAL_BAL</c>) and ends at its start less its
    /// amount; two rows starting from one balance (a change that did not see the other) break it.
    /// </summary>
    private static void AssertOneChain(string account, IReadOnlyList<HistoryRow> history, decimal opening, decimal closing)
    {
        var byStart = history.ToLookup(h => h.Before);
        var balance = opening;
        for (var i = 0; i < history.Count; i++)
        {
            var next = byStart[balance].ToList();
            Assert.That(next, Has.Count.EqualTo(1), $"{account}: {next.Count} changes start from {balance} (change {i + 1} of {history.Count})");
            if (next.Count != 1) return;
            Assert.That(next[0].After, Is.EqualTo(next[0].Before - next[0].Amount), $"{account}: {next[0].SeqNo} does not add up");
            balance = next[0].After;
        }

        Assert.That(balance, Is.EqualTo(closing), $"{account}: the chain does not end at the balance");
    }
}
