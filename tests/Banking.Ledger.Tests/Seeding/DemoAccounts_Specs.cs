using Banking.Ledger.Tests.Support;

namespace Banking.Ledger.Tests.Seeding;

[TestFixture]
public sealed class DemoAccounts_Specs
{
    [TestCase(LedgerDatabaseId.Db1)]
    [TestCase(LedgerDatabaseId.Db2)]
    public async Task Seeding_twice_changes_nothing_even_after_a_balance_moved(LedgerDatabaseId database)
    {
        var ledger = await ScratchLedger.CreateAsync($"seed_twice_{(int)database}", (int)database);
        var demo = DemoAccounts.In(database).ToList();
        var moved = demo.First(a => a.Status == "A" && a.OpeningBalance >= 100m);

        await using (var db = ledger.NewContext())
        {
            Assert.That(await db.SeedDemoAccountsAsync(database), Is.EqualTo(demo.Count));
        }

        var debit = await ledger.RunAsync(ops => ops.DebitAsync("seed-moved-1", moved.AccountNo, 100.00m, moved.Currency, "after seeding"));
        Assert.That(debit.IsApplied, Is.True);
        var before = await SnapshotAsync(ledger);

        await using (var db = ledger.NewContext())
        {
            Assert.That(await db.SeedDemoAccountsAsync(database), Is.Zero);
        }

        var after = await SnapshotAsync(ledger);
        Assert.Multiple(async () =>
        {
            Assert.That(after, Is.EqualTo(before));
            Assert.That(await ledger.BalanceAsync(moved.AccountNo), Is.EqualTo(moved.OpeningBalance - 100.00m));
            foreach (var account in demo.Where(a => a != moved))
            {
                Assert.That(await ledger.BalanceAsync(account.AccountNo), Is.EqualTo(account.OpeningBalance), account.AccountNo);
            }
        });
    }

    [Test]
    public void The_demo_accounts_are_the_seeds_accounts_and_unique()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DemoAccounts.All.Select(a => a.AccountNo), Is.Unique);
            Assert.That(DemoAccounts.All.Select(a => a.InternalKey), Is.Unique);
            Assert.That(DemoAccounts.In(LedgerDatabaseId.Db1).Select(a => a.AccountNo), Does.Contain(DemoAccounts.SeedSource));
            Assert.That(DemoAccounts.In(LedgerDatabaseId.Db2).Select(a => a.AccountNo), Does.Contain(DemoAccounts.SeedDestination));
            Assert.That(DemoAccounts.All.Single(a => a.AccountNo == DemoAccounts.SeedSource).OpeningBalance, Is.EqualTo(10_000.00m));
        });
    }

    [Test]
    public void Generate_is_deterministic_and_keeps_apart_from_the_demo_accounts()
    {
        var first = DemoAccounts.Generate(LedgerDatabaseId.Db1, 500, 1_000.00m, "91");
        var second = DemoAccounts.Generate(LedgerDatabaseId.Db1, 500, 1_000.00m, "91");
        var otherDatabase = DemoAccounts.Generate(LedgerDatabaseId.Db2, 500, 1_000.00m, "91");

        Assert.Multiple(() =>
        {
            Assert.That(second, Is.EqualTo(first));
            Assert.That(first.Select(a => a.AccountNo), Is.Unique);
            Assert.That(first.Select(a => a.InternalKey), Is.Unique);
            Assert.That(first.Select(a => a.AccountNo).Intersect(DemoAccounts.All.Select(a => a.AccountNo)), Is.Empty);
            Assert.That(first.Select(a => a.InternalKey).Intersect(DemoAccounts.All.Select(a => a.InternalKey)), Is.Empty);
            Assert.That(first.Select(a => a.AccountNo).Intersect(otherDatabase.Select(a => a.AccountNo)), Is.Empty);
            Assert.That(first.Select(a => a.InternalKey).Intersect(otherDatabase.Select(a => a.InternalKey)), Is.Empty);
            Assert.That(first, Has.All.Matches<DemoAccount>(a => a.Status == "A" && a.Currency == "CNY" && a.OpeningBalance == 1_000.00m));
            Assert.That(first, Has.All.Matches<DemoAccount>(a => Contracts.TransferRules.IsValidAccountNo(a.AccountNo)));
        });
    }

    [TestCase("5", "05")]
    [TestCase("12", "312")]
    [TestCase("88", "188")]
    public void Generate_keeps_accounts_of_different_prefixes_apart(string prefix, string otherPrefix)
    {
        var one = DemoAccounts.Generate(LedgerDatabaseId.Db1, 100, 10m, prefix);
        var other = DemoAccounts.Generate(LedgerDatabaseId.Db1, 100, 10m, otherPrefix);

        Assert.Multiple(() =>
        {
            Assert.That(one.Select(a => a.AccountNo).Intersect(other.Select(a => a.AccountNo)), Is.Empty);
            Assert.That(one.Select(a => a.InternalKey).Intersect(other.Select(a => a.InternalKey)), Is.Empty);
        });
    }

    [Test]
    public async Task Generated_accounts_seed_next_to_the_demo_accounts_once()
    {
        var ledger = await ScratchLedger.CreateAsync("seed_generated");
        var generated = DemoAccounts.Generate(LedgerDatabaseId.Db1, 1_200, 2_500.00m, "93");

        await using var db = ledger.NewContext();
        var demo = await db.SeedDemoAccountsAsync(LedgerDatabaseId.Db1);
        var created = await db.SeedAsync(generated);
        var again = await db.SeedAsync(generated);

        Assert.Multiple(async () =>
        {
            Assert.That(demo, Is.EqualTo(DemoAccounts.In(LedgerDatabaseId.Db1).Count()));
            Assert.That(created, Is.EqualTo(1_200));
            Assert.That(again, Is.Zero);
            Assert.That(await ledger.CountAsync("rb_acct"), Is.EqualTo(demo + 1_200));
            Assert.That(await ledger.ScalarAsync<decimal>("SELECT SUM(TOTAL_AMOUNT) FROM rb_acct_balance WHERE CLIENT_NO LIKE 'L93%'"), Is.EqualTo(1_200 * 2_500.00m));
            Assert.That(await ledger.BalanceAsync(generated[^1].AccountNo), Is.EqualTo(2_500.00m));
        });

        // Another run's prefix that ends in the same digits seeds beside them: keys are unique per whole prefix.
        Assert.That(await db.SeedAsync(DemoAccounts.Generate(LedgerDatabaseId.Db1, 50, 1.00m, "193")), Is.EqualTo(50));

        // A generated account is an ordinary account: money moves on it.
        var debit = await ledger.RunAsync(ops => ops.DebitAsync("gen-debit-1", generated[7].AccountNo, 2_500.00m, "CNY", null));
        Assert.That(debit.BalanceAfter, Is.EqualTo(0.00m));
    }

    private static async Task<string> SnapshotAsync(ScratchLedger ledger)
    {
        var counts = await ledger.QueryAsync("""
            SELECT (SELECT COUNT(*) FROM rb_acct), (SELECT COUNT(*) FROM rb_acct_balance), (SELECT COUNT(*) FROM rb_tran_hist), (SELECT COUNT(*) FROM ledger_operation)
            """);
        var balances = await ledger.QueryAsync("SELECT INTERNAL_KEY, TOTAL_AMOUNT, LAST_CHANGE_DATE FROM rb_acct_balance ORDER BY INTERNAL_KEY");
        var accounts = await ledger.QueryAsync("SELECT INTERNAL_KEY, BASE_ACCT_NO, ACCT_STATUS, ACCT_CCY, ACCT_NAME FROM rb_acct ORDER BY INTERNAL_KEY");
        static string Join(IEnumerable<IReadOnlyList<object?>> rows) => string.Join("\n", rows.Select(r => string.Join(",", r)));
        return Join(counts) + "\n" + Join(balances) + "\n" + Join(accounts);
    }
}
