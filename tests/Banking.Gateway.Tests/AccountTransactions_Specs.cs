using System.Net;
using System.Text.Json;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using Banking.Testing;

namespace Banking.Gateway.Tests;

/// <summary>
/// Issue 17, point 5: GET /api/v1/account/{account_no}/transactions, the account's rb_tran_hist entries newest first and
/// keyset-paged, on the real Orchestrator, DebitService and CreditService (MariaDB x2, RabbitMQ): transfers go through
/// the platform, and the statement must show what the ledgers booked, in the order they booked it.
/// </summary>
[NonParallelizable]
public sealed class AccountTransactions_Specs
{
    private static long nextKey = 71_000;

    private TransferPlatform platform = null!;
    private GatewayHost gateway = null!;
    private HttpClient channel = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        platform = await TransferPlatform.StartAsync("gw-statement");
        gateway = await GatewayHost.StartAsync("gw-statement-gateway", new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = platform.Broker.ToString(),
        }, withResponder: false);
        await gateway.WaitUntilReadyAsync();
        channel = gateway.ClientAs(Roles.Channel);

        // The first question to each ledger's query queue can outlast the gateway's query timeout (a 503) while the
        // request client readies its reply queue; the specs start once the ledgers answer.
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await channel.GetAsync("/api/v1/account/7999999999997/transactions");
            return response.StatusCode == HttpStatusCode.NotFound;
        }, "both ledgers answered a statement question", TimeSpan.FromSeconds(30));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        channel.Dispose();
        await gateway.DisposeAsync();
        await platform.DisposeAsync();
    }

    private async Task<string> NewAccountAsync(int database, decimal balance, string status = "A", string clientNo = "T0001")
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"79{database}{key:D10}";
        await platform.CreateAccountAsync(database, key, accountNo, balance, status, clientNo: clientNo);
        return accountNo;
    }

    /// <summary>Three transfers out of a fresh account, one of them to a closed account (debited, then given back).</summary>
    private async Task<(string From, string To, string[] Ids)> ThreeTransfersAsync(string clientNo = "T0001")
    {
        var from = await NewAccountAsync(1, 1_000.00m, clientNo: clientNo);
        var to = await NewAccountAsync(2, 0.00m);
        var closed = await NewAccountAsync(2, 0.00m, status: "C");
        string[] ids = [$"st1-{Guid.NewGuid():N}"[..30], $"st2-{Guid.NewGuid():N}"[..30], $"st3-{Guid.NewGuid():N}"[..30]];
        await platform.SubmitAsync(ids[0], from, to, 100.00m);
        await platform.WaitForFinalAsync(ids[0]);
        await platform.SubmitAsync(ids[1], from, closed, 250.50m);
        await platform.WaitForFinalAsync(ids[1]);
        await platform.SubmitAsync(ids[2], from, to, 0.25m);
        await platform.WaitForFinalAsync(ids[2]);
        return (from, to, ids);
    }

    private async Task<JsonElement> StatementAsync(string accountNo, string query = "", HttpClient? client = null)
    {
        using var response = await (client ?? channel).GetAsync($"/api/v1/account/{accountNo}/transactions{query}");
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body;
    }

    private static List<JsonElement> Entries(JsonElement page) => [.. page.GetProperty("transactions").EnumerateArray()];

    [Test]
    public async Task The_statement_lists_what_the_ledger_booked_newest_first_with_the_balance_each_entry_left()
    {
        var (from, _, ids) = await ThreeTransfersAsync();

        var page = await StatementAsync(from);
        var entries = Entries(page);

        Assert.Multiple(() =>
        {
            Assert.That(page.GetProperty("account_no").GetString(), Is.EqualTo(from));
            Assert.That(page.GetProperty("currency").GetString(), Is.EqualTo("CNY"));
            Assert.That(page.GetProperty("next_cursor").ValueKind, Is.EqualTo(JsonValueKind.Null), "one page holds all four");
            Assert.That(entries.Select(e => (e.GetProperty("transfer_id").GetString(), e.GetProperty("direction").GetString(), e.GetProperty("type").GetString())),
                Is.EqualTo(new[]
                {
                    (ids[2], "DEBIT", "TRFDR"),
                    (ids[1], "CREDIT", "REVCR"),
                    (ids[1], "DEBIT", "TRFDR"),
                    (ids[0], "DEBIT", "TRFDR"),
                }));
            Assert.That(entries.Select(e => e.Raw("amount")), Is.EqualTo(new[] { "0.25", "250.50", "250.50", "100.00" }), "two decimals, as the seed writes money");
            Assert.That(entries.Select(e => e.Raw("balance_after")), Is.EqualTo(new[] { "899.75", "900.00", "649.50", "900.00" }));
            foreach (var entry in entries)
                Assert.That(entry.GetProperty("time").GetString(), Does.Match(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"), "UTC to the second, as the seed");
        });
    }

    [Test]
    public async Task Pages_follow_each_other_by_cursor_without_a_gap_or_a_repeat()
    {
        var (from, _, _) = await ThreeTransfersAsync();
        var all = Entries(await StatementAsync(from)).Select(e => e.GetProperty("entry_no").GetString()).ToList();

        var first = await StatementAsync(from, "?limit=3");
        var cursor = first.GetProperty("next_cursor").GetString();
        var second = await StatementAsync(from, $"?limit=3&cursor={cursor}");

        Assert.Multiple(() =>
        {
            Assert.That(Entries(first), Has.Count.EqualTo(3));
            Assert.That(cursor, Is.Not.Null);
            Assert.That(Entries(second), Has.Count.EqualTo(1));
            Assert.That(second.GetProperty("next_cursor").ValueKind, Is.EqualTo(JsonValueKind.Null), "the last page says so");
            Assert.That(Entries(first).Concat(Entries(second)).Select(e => e.GetProperty("entry_no").GetString()), Is.EqualTo(all));
        });
    }

    [Test]
    public async Task From_and_to_bound_the_booking_time_and_a_date_covers_its_whole_day()
    {
        var (from, _, _) = await ThreeTransfersAsync();
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd");
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd");

        Assert.Multiple(async () =>
        {
            Assert.That(Entries(await StatementAsync(from, $"?from={today}&to={today}")), Has.Count.EqualTo(4));
            Assert.That(Entries(await StatementAsync(from, $"?to={yesterday}")), Is.Empty);
            Assert.That(Entries(await StatementAsync(from, $"?from={tomorrow}")), Is.Empty);
            Assert.That(Entries(await StatementAsync(from, $"?from={DateTime.UtcNow.AddHours(-1):yyyy-MM-ddTHH:mm:ssZ}")), Has.Count.EqualTo(4));
        });
    }

    [Test]
    public async Task The_destination_ledger_answers_for_its_accounts()
    {
        var (_, to, ids) = await ThreeTransfersAsync();
        var entries = Entries(await StatementAsync(to));

        Assert.That(entries.Select(e => (e.GetProperty("transfer_id").GetString(), e.GetProperty("direction").GetString(), e.Raw("balance_after"))),
            Is.EqualTo(new[] { (ids[2], "CREDIT", "100.25"), (ids[0], "CREDIT", "100.00") }));
    }

    [Test]
    public async Task A_customer_reads_their_own_statement_and_is_refused_a_foreign_or_unknown_one_alike()
    {
        var (own, _, _) = await ThreeTransfersAsync(clientNo: "C7781");
        var foreign = await NewAccountAsync(1, 10.00m, clientNo: "C9999");
        using var customer = gateway.ClientAs(Roles.Customer, "C7781");

        Assert.That(Entries(await StatementAsync(own, client: customer)), Has.Count.EqualTo(4));
        using var refused = await customer.GetAsync($"/api/v1/account/{foreign}/transactions");
        using var unknown = await customer.GetAsync("/api/v1/account/7999999999999/transactions");
        var refusedBody = await refused.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
        var unknownBody = await unknown.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.That(refusedBody.GetProperty("message").GetString(), Is.EqualTo(unknownBody.GetProperty("message").GetString()), "no probing for account numbers");
    }

    [Test]
    public async Task A_channel_gets_404_for_an_account_neither_ledger_holds()
    {
        using var response = await channel.GetAsync("/api/v1/account/7999999999998/transactions");
        await response.Error(HttpStatusCode.NotFound, "ACCOUNT_NOT_FOUND");
    }

    [Test]
    public async Task An_auditor_sees_the_account_number_masked()
    {
        var (from, _, _) = await ThreeTransfersAsync();
        using var auditor = gateway.ClientAs(Roles.Auditor);
        var page = await StatementAsync(from, client: auditor);

        Assert.That(page.GetProperty("account_no").GetString(), Is.EqualTo(AccountMasking.Mask(from)).And.Not.EqualTo(from));
        Assert.That(Entries(page), Has.Count.EqualTo(4));
    }

    [TestCase("?limit=0", "limit")]
    [TestCase("?limit=101", "limit")]
    [TestCase("?limit=ten", "limit")]
    [TestCase("?cursor=abc", "cursor")]
    [TestCase("?cursor=-5", "cursor")]
    [TestCase("?from=yesterday", "from")]
    [TestCase("?from=2025-01-07T10:30:00", "from", TestName = "A time without its zone is refused, not read as some server's local time")]
    [TestCase("?from=2025-02-01&to=2025-01-01", "to")]
    public async Task Bad_query_parameters_get_the_spec_error_naming_the_field(string query, string field)
    {
        var account = await NewAccountAsync(1, 1.00m);
        using var response = await channel.GetAsync($"/api/v1/account/{account}/transactions{query}");
        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo(field), error.ToString());
    }
}
