using Banking.Contracts;
using Banking.Ledger.Tests.Support;
using Banking.ServiceDefaults;

namespace Banking.Ledger.Tests.Operations;

/// <summary>
/// Issue 17, point 3, at the ledger: what a debit counts against (the account's and its customer's counters of one
/// business date in the bank's time zone, Asia/Shanghai here), and what a reversal gives back. The clock is fixed so
/// that a spec can stand either side of midnight; the concurrent case runs through the real services (the gateway's
/// DailyLimit_Specs and DebitService's).
/// </summary>
[TestFixture]
public sealed class DailyLimit_Specs
{
    private static int nextCustomer;
    private ScratchLedger ledger = null!;

    [OneTimeSetUp]
    public async Task CreateLedger() => ledger = await ScratchLedger.CreateAsync("ledger_daily_limit");

    private static DailyLimitPolicy Limits(decimal account, decimal customer, bool enabled = true) =>
        new(new DailyLimitOptions { Enabled = enabled, AccountDefault = account, CustomerDefault = customer }, new BusinessCalendar("Asia/Shanghai"));

    private static string NewCustomer() => $"S{Interlocked.Increment(ref nextCustomer):D6}";

    private static string NewTransferId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private Task<LedgerResult> DebitAsync(string transferId, string account, decimal amount, string utc, DailyLimitPolicy limits) =>
        ledger.RunAsync(ops => ops.DebitAsync(transferId, account, amount, "CNY", "daily limit spec"), new FixedClock(utc), limits);

    private Task<decimal> CountedAsync(string scope, string key, string businessDate) =>
        ledger.ScalarAsync<decimal>("SELECT COALESCE(SUM(amount), 0) FROM daily_outgoing WHERE scope = @s AND scope_key = @k AND business_date = @d",
            ("@s", scope), ("@k", key), ("@d", DateOnly.Parse(businessDate)));

    [Test]
    public async Task Debits_count_on_the_business_date_of_the_banks_time_zone_and_the_limit_starts_afresh_at_its_midnight()
    {
        var limits = Limits(account: 100.00m, customer: 1_000.00m);
        var account = await ledger.OpenAccountAsync(1_000.00m, clientNo: NewCustomer());

        // 15:59:59 UTC is 23:59:59 on 3 December in Shanghai; 16:00:00 UTC is already the 4th.
        var first = await DebitAsync(NewTransferId("bd1"), account, 100.00m, "2026-12-03T15:59:58Z", limits);
        var sameDay = await DebitAsync(NewTransferId("bd2"), account, 0.01m, "2026-12-03T15:59:59Z", limits);
        var nextDay = await DebitAsync(NewTransferId("bd3"), account, 100.00m, "2026-12-03T16:00:00Z", limits);

        Assert.Multiple(async () =>
        {
            Assert.That(first.IsApplied, Is.True);
            Assert.That(sameDay.ReasonCode, Is.EqualTo(ReasonCodes.DailyLimitExceeded));
            Assert.That(sameDay.RemainingAllowance, Is.EqualTo(0.00m));
            Assert.That(nextDay.IsApplied, Is.True, "a new business date");
            Assert.That(await CountedAsync("ACCOUNT", account, "2026-12-03"), Is.EqualTo(100.00m));
            Assert.That(await CountedAsync("ACCOUNT", account, "2026-12-04"), Is.EqualTo(100.00m));
            Assert.That(await ledger.BalanceAsync(account), Is.EqualTo(800.00m));
        });
    }

    [Test]
    public async Task A_refusal_is_recorded_with_its_remaining_allowance_and_a_repeat_gets_the_same_answer_even_after_the_allowance_came_back()
    {
        var limits = Limits(account: 500.00m, customer: 1_000.00m);
        var account = await ledger.OpenAccountAsync(10_000.00m, clientNo: NewCustomer());
        var debited = NewTransferId("rr1");
        await DebitAsync(debited, account, 450.00m, "2026-12-03T02:00:00Z", limits);

        var refusedId = NewTransferId("rr2");
        var refused = await DebitAsync(refusedId, account, 60.00m, "2026-12-03T02:00:01Z", limits);
        await ledger.RunAsync(ops => ops.ReverseDebitAsync(debited, account), new FixedClock("2026-12-03T02:00:02Z"), limits);
        var repeat = await DebitAsync(refusedId, account, 60.00m, "2026-12-03T02:00:03Z", limits);

        Assert.Multiple(async () =>
        {
            Assert.That(refused.ReasonCode, Is.EqualTo(ReasonCodes.DailyLimitExceeded));
            Assert.That(refused.RemainingAllowance, Is.EqualTo(50.00m));
            Assert.That(refused.Reason, Does.Contain("account's daily outgoing limit of 500.00 CNY for 2026-12-03"));
            Assert.That(refused.Reason, Does.Not.Contain(account), "no account number in a text that may reach a log");
            Assert.That(repeat.IsReplay, Is.True);
            Assert.That(repeat.ReasonCode, Is.EqualTo(ReasonCodes.DailyLimitExceeded), "the answer never flips");
            Assert.That(repeat.RemainingAllowance, Is.EqualTo(50.00m));
            Assert.That(await CountedAsync("ACCOUNT", account, "2026-12-03"), Is.EqualTo(0.00m), "the reversal gave the 450.00 back");
        });
    }

    [Test]
    public async Task A_reversal_on_the_next_business_date_gives_back_to_the_date_its_debit_counted_on()
    {
        var limits = Limits(account: 1_000.00m, customer: 1_000.00m);
        var customer = NewCustomer();
        var account = await ledger.OpenAccountAsync(10_000.00m, clientNo: customer);
        var debited = NewTransferId("nd1");
        await DebitAsync(debited, account, 300.00m, "2026-12-03T15:00:00Z", limits);
        await DebitAsync(NewTransferId("nd2"), account, 200.00m, "2026-12-03T17:00:00Z", limits);

        var reversal = await ledger.RunAsync(ops => ops.ReverseDebitAsync(debited, account), new FixedClock("2026-12-03T18:00:00Z"), limits);

        Assert.Multiple(async () =>
        {
            Assert.That(reversal.IsApplied, Is.True);
            Assert.That(await CountedAsync("ACCOUNT", account, "2026-12-03"), Is.EqualTo(0.00m));
            Assert.That(await CountedAsync("CUSTOMER", customer, "2026-12-03"), Is.EqualTo(0.00m));
            Assert.That(await CountedAsync("ACCOUNT", account, "2026-12-04"), Is.EqualTo(200.00m), "the next day's debit still counts");
            Assert.That(await CountedAsync("CUSTOMER", customer, "2026-12-04"), Is.EqualTo(200.00m));
        });
    }

    [Test]
    public async Task Other_currencies_of_one_customer_have_counters_of_their_own()
    {
        var limits = Limits(account: 1_000.00m, customer: 1_000.00m);
        var customer = NewCustomer();
        var yuan = await ledger.OpenAccountAsync(10_000.00m, clientNo: customer);
        var dollars = await ledger.OpenAccountAsync(10_000.00m, currency: "USD", clientNo: customer);
        await DebitAsync(NewTransferId("cc1"), yuan, 1_000.00m, "2026-12-03T02:00:00Z", limits);

        var usd = await ledger.RunAsync(ops => ops.DebitAsync(NewTransferId("cc2"), dollars, 1_000.00m, "USD", null), new FixedClock("2026-12-03T02:00:01Z"), limits);

        Assert.That(usd.IsApplied, Is.True, "1,000.00 CNY and 1,000.00 USD are not added together");
    }

    [Test]
    public async Task With_the_limits_off_nothing_is_counted_or_refused()
    {
        var limits = Limits(account: 1.00m, customer: 1.00m, enabled: false);
        var account = await ledger.OpenAccountAsync(1_000.00m, clientNo: NewCustomer());

        var debit = await DebitAsync(NewTransferId("off"), account, 500.00m, "2026-12-03T02:00:00Z", limits);

        Assert.Multiple(async () =>
        {
            Assert.That(debit.IsApplied, Is.True);
            Assert.That(await ledger.CountAsync("daily_outgoing", "scope_key = @k", ("@k", account)), Is.EqualTo(0));
        });
    }

    private sealed class FixedClock(string utc) : TimeProvider
    {
        private readonly DateTimeOffset now = DateTimeOffset.Parse(utc, global::System.Globalization.CultureInfo.InvariantCulture);

        public override DateTimeOffset GetUtcNow() => now;
    }
}
