using System.Net;
using System.Text.Json;
using Banking.Contracts.Transfers;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Gateway.Tests;

/// <summary>
/// GET /api/v1/account/{account_no}/balance: the seed's body for accounts of either ledger, 404 for unknown ones,
/// served from the Redis cache until a transfer's final outcome (whoever started the transfer) drops the entry.
/// </summary>
public sealed class Balance_Specs
{
    private GatewayHost gateway = null!;
    private HttpClient channel = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        gateway = await GatewayHost.SharedAsync();
        channel = gateway.ClientAs(Roles.Channel);
    }

    [OneTimeTearDown]
    public void Stop() => channel.Dispose();

    private async Task<JsonElement> Balance(string accountNo)
    {
        using var response = await channel.GetAsync($"/api/v1/account/{accountNo}/balance");
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body;
    }

    private string BalanceKey(string accountNo) => $"{gateway.KeyPrefix}balance:{{{accountNo}}}";

    [TestCase(Ledger.Debit, TestName = "An account of the source ledger (DB1) gets the seed's balance body")]
    [TestCase(Ledger.Credit, TestName = "An account of the destination ledger (DB2) gets the seed's balance body")]
    public async Task The_seed_balance_body(Ledger ledger)
    {
        var accountNo = gateway.Responder.AddAccount(ledger, 10000m, currency: "CNY");
        var body = await Balance(accountNo);

        var seed = JsonDocument.Parse("""
            {"account_no":"6230399991006371427","balance":10000.00,"currency":"CNY","status":"ACTIVE","last_updated":"2025-01-07T10:30:00Z"}
            """).RootElement;
        Assert.That(body.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind)), Is.EqualTo(seed.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind))));
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("account_no").GetString(), Is.EqualTo(accountNo));
            Assert.That(body.Raw("balance"), Is.EqualTo("10000.00"), "two decimals, as the seed writes money");
            Assert.That(body.GetProperty("currency").GetString(), Is.EqualTo("CNY"));
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("ACTIVE"));
            // The responder's accounts were last changed at the seed's sample time.
            Assert.That(body.GetProperty("last_updated").GetString(), Is.EqualTo("2025-01-07T10:30:00Z"));
        });
    }

    [TestCase("A", "ACTIVE")]
    [TestCase("R", "RESTRICTED")]
    [TestCase("C", "CLOSED")]
    [TestCase("F", "FROZEN")]
    [TestCase("D", "DORMANT")]
    [TestCase("X", "RESTRICTED", TestName = "An ACCT_STATUS the gateway does not know is reported as RESTRICTED, never ACTIVE")]
    public async Task The_ledgers_status_letter_is_spelled_out(string letter, string spelled)
    {
        var accountNo = gateway.Responder.AddAccount(Ledger.Credit, 1m, status: letter);
        Assert.That((await Balance(accountNo)).GetProperty("status").GetString(), Is.EqualTo(spelled));
    }

    [Test]
    public async Task Cents_and_other_currencies_are_kept()
    {
        var accountNo = gateway.Responder.AddAccount(Ledger.Debit, 1234.5m, currency: "USD");
        var body = await Balance(accountNo);
        Assert.That(body.Raw("balance"), Is.EqualTo("1234.50"));
        Assert.That(body.GetProperty("currency").GetString(), Is.EqualTo("USD"));
    }

    [Test]
    public async Task An_account_neither_ledger_holds_is_404_ACCOUNT_NOT_FOUND()
    {
        var accountNo = NewAccountNo();
        using var response = await channel.GetAsync($"/api/v1/account/{accountNo}/balance");
        var error = await response.Error(HttpStatusCode.NotFound, "ACCOUNT_NOT_FOUND");
        Assert.That(error.GetProperty("details").GetProperty("account").GetString(), Is.EqualTo(accountNo));
        Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync(BalanceKey(accountNo)), Is.False, "an unknown account is not cached");
    }

    [Test]
    public async Task A_ledger_that_does_not_answer_makes_the_balance_503()
    {
        // Beyond Gateway:QueryTimeoutMs (1500 ms in GatewayHost): the answer is unknown, not "no such account".
        var accountNo = gateway.Responder.AddAccount(Ledger.Debit, 10m);
        gateway.Responder.DelayBalanceOf(accountNo, TimeSpan.FromSeconds(5));
        using var response = await channel.GetAsync($"/api/v1/account/{accountNo}/balance");
        await response.Error(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
    }

    // ---- the cache ----

    [Test]
    public async Task A_second_read_is_served_from_Redis_without_asking_the_ledger()
    {
        var accountNo = gateway.Responder.AddAccount(Ledger.Debit, 10000m);
        Assert.That((await Balance(accountNo)).Raw("balance"), Is.EqualTo("10000.00"));
        // A miss asks both ledgers (the gateway does not know which one holds the account).
        var queriesForTheMiss = gateway.Responder.BalanceQueries(accountNo);
        Assert.That(queriesForTheMiss, Is.EqualTo(2));

        // The ledger's row changes without an event: only a cached answer can still say 10000.00.
        gateway.Responder.SetBalance(accountNo, 7777m);
        Assert.That((await Balance(accountNo)).Raw("balance"), Is.EqualTo("10000.00"));
        Assert.That(gateway.Responder.BalanceQueries(accountNo), Is.EqualTo(queriesForTheMiss), "the ledgers were not asked again");

        var ttl = await gateway.Redis.GetDatabase().KeyTimeToLiveAsync(BalanceKey(accountNo));
        Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromMinutes(5)), "cached in Redis with Gateway:BalanceCacheTtl");
    }

    [TestCase("SUCCESS", TestName = "A transfer this gateway did not start drops both cached balances when it completes")]
    [TestCase("ROLLBACK", TestName = "A transfer this gateway did not start drops both cached balances when it is rolled back")]
    [TestCase("FAILED", TestName = "A transfer this gateway did not start drops both cached balances when it fails")]
    public async Task A_final_outcome_from_another_channel_drops_both_cached_balances(string status)
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 500m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 40m);
        Assert.That((await Balance(from)).Raw("balance"), Is.EqualTo("500.00"));
        Assert.That((await Balance(to)).Raw("balance"), Is.EqualTo("40.00"));

        // What the ledgers and the saga do for a transfer an upstream system (or another gateway instance) started:
        // change the rows, then publish the final outcome, which no waiter of this gateway is waiting for.
        gateway.Responder.SetBalance(from, 350m);
        gateway.Responder.SetBalance(to, 190m);
        await gateway.Responder.Bus.Publish(FinalOutcome(status, "T-upstream-" + Guid.NewGuid().ToString("N")[..12], from, to, 150m), FinalOutcomeType(status));

        // The outcome is consumed asynchronously; the cache TTL (5 min) cannot be what refreshes it within this wait.
        await Eventually.HoldsAsync(async () => (await Balance(from)).Raw("balance") == "350.00", "the new source balance is read", TimeSpan.FromSeconds(20));
        await Eventually.HoldsAsync(async () => (await Balance(to)).Raw("balance") == "190.00", "the new destination balance is read", TimeSpan.FromSeconds(20));
        // Two ledgers asked for the first miss, two for the one after the invalidation; every other read was a hit.
        Assert.That(gateway.Responder.BalanceQueries(from), Is.EqualTo(4), "asked again once, after the invalidation; cached again since");
    }

    [Test]
    public async Task A_balance_read_in_flight_when_the_outcome_arrives_does_not_cache_the_balance_from_before_it()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 500m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        // Within Gateway:QueryTimeoutMs (1500 ms): the read succeeds, with the row as it was when the ledger read it.
        gateway.Responder.DelayBalanceOf(to, TimeSpan.FromMilliseconds(700));
        var slowRead = Balance(to);
        await Eventually.HoldsAsync(() => gateway.Responder.BalanceQueries(to) == 2, "both ledgers read the account", TimeSpan.FromSeconds(10));

        gateway.Responder.SetBalance(to, 150m);
        await gateway.Responder.Bus.Publish(FinalOutcome("SUCCESS", "T-race-" + Guid.NewGuid().ToString("N")[..12], from, to, 150m), FinalOutcomeType("SUCCESS"));
        await Eventually.HoldsAsync(async () => await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}balance-gen:{{{to}}}"),
            "the outcome was consumed", TimeSpan.FromSeconds(10));

        Assert.That((await slowRead).Raw("balance"), Is.EqualTo("0.00"), "the read in flight answers what it read");
        Assert.That((await Balance(to)).Raw("balance"), Is.EqualTo("150.00"), "but did not cache it over the invalidation");
    }

    [Test]
    public async Task A_final_outcome_for_other_accounts_leaves_the_cached_balance_alone()
    {
        var accountNo = gateway.Responder.AddAccount(Ledger.Credit, 500m);
        await Balance(accountNo);
        gateway.Responder.SetBalance(accountNo, 650m);

        var otherFrom = gateway.Responder.AddAccount(Ledger.Debit, 10m);
        var otherTo = gateway.Responder.AddAccount(Ledger.Credit, 1m);
        await Balance(otherTo);
        await gateway.Responder.Bus.Publish(FinalOutcome("SUCCESS", "T-other-" + Guid.NewGuid().ToString("N")[..12], otherFrom, otherTo, 1m), FinalOutcomeType("SUCCESS"));

        // Once the other account's entry is gone, the outcome has been consumed.
        await Eventually.HoldsAsync(async () => !await gateway.Redis.GetDatabase().KeyExistsAsync(BalanceKey(otherTo)), "the outcome was consumed", TimeSpan.FromSeconds(20));
        Assert.That((await Balance(accountNo)).Raw("balance"), Is.EqualTo("500.00"));
    }

    private static Type FinalOutcomeType(string status) => status switch
    {
        "SUCCESS" => typeof(TransferCompleted),
        "ROLLBACK" => typeof(TransferRolledBack),
        _ => typeof(TransferFailed),
    };

    private static object FinalOutcome(string status, string transferId, string from, string to, decimal amount) => status switch
    {
        "SUCCESS" => new TransferCompleted
        {
            TransferId = transferId, FromAccount = from, ToAccount = to, Amount = amount, Currency = "CNY", SourceBalanceAfter = 350m, CompletedAtUtc = DateTime.UtcNow,
        },
        "ROLLBACK" => new TransferRolledBack
        {
            TransferId = transferId, FromAccount = from, ToAccount = to, Amount = amount, Currency = "CNY", ReasonCode = "ACCOUNT_RESTRICTED", Reason = "credit refused",
            Account = to, RolledBackAtUtc = DateTime.UtcNow,
        },
        _ => new TransferFailed
        {
            TransferId = transferId, FromAccount = from, ToAccount = to, Amount = amount, Currency = "CNY", ReasonCode = "INSUFFICIENT_BALANCE", Reason = "insufficient balance",
            Account = from, FailedAtUtc = DateTime.UtcNow,
        },
    };

    [Test]
    public async Task A_finished_transfer_drops_both_cached_balances_before_it_is_answered()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        await Balance(from);
        await Balance(to);

        using var response = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 250.00m, currency = "CNY" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());

        // No wait: the caller's very next read must not see the balance from before its own transfer.
        Assert.That((await Balance(from)).Raw("balance"), Is.EqualTo("750.00"));
        Assert.That((await Balance(to)).Raw("balance"), Is.EqualTo("250.00"));
    }
}
