using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using Banking.Testing;

namespace Banking.Gateway.Tests;

/// <summary>
/// Issue 17, point 5: GET /api/v1/transfers, a channel's or a customer's own transfers newest first, on the real
/// Orchestrator, DebitService and CreditService (MariaDB x2, RabbitMQ). Who sees what is the point: a channel sees what
/// it sent, a customer what it sent or what touched its own account, the bank's staff everything.
/// </summary>
[NonParallelizable]
public sealed class TransferList_Specs
{
    private static long nextKey = 72_000;

    private TransferPlatform platform = null!;
    private GatewayHost gateway = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        platform = await TransferPlatform.StartAsync("gw-lists");
        gateway = await GatewayHost.StartAsync("gw-lists-gateway", new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = platform.Broker.ToString(),
        }, withResponder: false);
        await gateway.WaitUntilReadyAsync();

        // The first question to the orchestrator's query queue can outlast the query timeout while the reply queue is readied.
        using var staff = As(Roles.Operator, "ops.warmup");
        var last = "";
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await staff.GetAsync("/api/v1/transfers?limit=1");
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            return response.StatusCode == HttpStatusCode.OK;
        }, "the orchestrator answered a list question", TimeSpan.FromSeconds(30), () => Task.FromResult(last));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await gateway.DisposeAsync();
        await platform.DisposeAsync();
    }

    private HttpClient As(string role, string name, string? clientNo = null)
    {
        var client = gateway.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            Banking.Gateway.Security.TokenCommand.Issue(GatewayHost.Jwt, [role], clientNo, TimeSpan.FromMinutes(10), subject: name));
        return client;
    }

    private async Task<string> NewAccountAsync(int database, decimal balance, string clientNo = "T0001")
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"77{database}{key:D10}";
        await platform.CreateAccountAsync(database, key, accountNo, balance, clientNo: clientNo);
        return accountNo;
    }

    private async Task<string> PostAsync(HttpClient client, string from, string to, decimal amount)
    {
        var reference = $"lst-{Guid.NewGuid():N}"[..30];
        using var response = await client.PostTransfer(new { from_account = from, to_account = to, amount, currency = "CNY", reference });
        Assert.That((int)response.StatusCode, Is.AnyOf(200, 202, 422), await response.Content.ReadAsStringAsync());
        await platform.WaitForFinalAsync(reference);
        return reference;
    }

    private static async Task<JsonElement> ListAsync(HttpClient client, string query = "")
    {
        using var response = await client.GetAsync($"/api/v1/transfers{query}");
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body;
    }

    private static List<string> Ids(JsonElement page) =>
        [.. page.GetProperty("transfers").EnumerateArray().Select(t => t.GetProperty("transfer_id").GetString()!)];

    [Test]
    public async Task A_channel_sees_the_transfers_it_sent_newest_first_and_none_of_another_channels()
    {
        var from = await NewAccountAsync(1, 1_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        using var mine = As(Roles.Channel, $"mobile-{Guid.NewGuid():N}"[..20]);
        using var theirs = As(Roles.Channel, $"branch-{Guid.NewGuid():N}"[..20]);
        var first = await PostAsync(mine, from, to, 10.00m);
        var second = await PostAsync(mine, from, to, 20.00m);
        var other = await PostAsync(theirs, from, to, 30.00m);

        var page = await ListAsync(mine);
        var transfers = page.GetProperty("transfers").EnumerateArray().ToList();

        Assert.Multiple(() =>
        {
            Assert.That(Ids(page), Is.EqualTo(new[] { second, first }));
            Assert.That(Ids(page), Does.Not.Contain(other));
            // The seed's status body, item by item.
            Assert.That(transfers[0].GetProperty("status").GetString(), Is.EqualTo("SUCCESS"));
            Assert.That(transfers[0].Raw("amount"), Is.EqualTo("20.00"));
            Assert.That(transfers[0].GetProperty("from_account").GetString(), Is.EqualTo(from));
            Assert.That(page.GetProperty("next_cursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });
        Assert.That(Ids(await ListAsync(theirs)), Is.EqualTo(new[] { other }));
    }

    [Test]
    public async Task A_customer_sees_every_transfer_on_its_own_account_and_is_refused_a_foreign_one()
    {
        var own = await NewAccountAsync(2, 0.00m, clientNo: "C5501");
        var foreign = await NewAccountAsync(2, 0.00m, clientNo: "C5502");
        var payer = await NewAccountAsync(1, 1_000.00m);
        using var channel = As(Roles.Channel, $"payroll-{Guid.NewGuid():N}"[..20]);
        var intoOwn = await PostAsync(channel, payer, own, 40.00m);
        // An upstream system's transfer, never seen by the gateway, is on the account all the same.
        var upstream = $"lst-up-{Guid.NewGuid():N}"[..30];
        await platform.SubmitAsync(upstream, payer, own, 5.00m);
        await platform.WaitForFinalAsync(upstream);
        await PostAsync(channel, payer, foreign, 1.00m);
        using var customer = As(Roles.Customer, "customer.5501", "C5501");

        Assert.That(Ids(await ListAsync(customer, $"?account={own}")), Is.EqualTo(new[] { upstream, intoOwn }));
        Assert.That(Ids(await ListAsync(customer)), Is.Empty, "without an account, only what it requested itself: nothing");
        using var refused = await customer.GetAsync($"/api/v1/transfers?account={foreign}");
        using var unknown = await customer.GetAsync("/api/v1/transfers?account=7799999999999");
        var refusedError = await refused.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
        var unknownError = await unknown.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.That(refusedError.GetProperty("message").GetString(), Is.EqualTo(unknownError.GetProperty("message").GetString()));
    }

    [Test]
    public async Task Staff_filter_by_account_and_status_and_page_by_cursor_without_gap_or_repeat()
    {
        var from = await NewAccountAsync(1, 100.00m);
        var to = await NewAccountAsync(2, 0.00m);
        using var channel = As(Roles.Channel, $"web-{Guid.NewGuid():N}"[..20]);
        var ids = new List<string>();
        for (var i = 0; i < 4; i++) ids.Add(await PostAsync(channel, from, to, 10.00m));
        var refused = await PostAsync(channel, from, to, 500.00m);
        using var staff = As(Roles.Operator, "ops.anna");

        var all = Ids(await ListAsync(staff, $"?account={from}"));
        var failed = Ids(await ListAsync(staff, $"?account={from}&status=FAILED"));
        var first = await ListAsync(staff, $"?account={to}&status=SUCCESS&limit=3");
        var second = await ListAsync(staff, $"?account={to}&status=SUCCESS&limit=3&cursor={first.GetProperty("next_cursor").GetString()}");

        Assert.Multiple(() =>
        {
            Assert.That(all, Is.EqualTo(new[] { refused, ids[3], ids[2], ids[1], ids[0] }));
            Assert.That(failed, Is.EqualTo(new[] { refused }));
            Assert.That(Ids(first).Concat(Ids(second)), Is.EqualTo(new[] { ids[3], ids[2], ids[1], ids[0] }));
            Assert.That(second.GetProperty("next_cursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });
    }

    [Test]
    public async Task An_auditor_sees_the_log_with_account_numbers_masked()
    {
        var from = await NewAccountAsync(1, 100.00m);
        var to = await NewAccountAsync(2, 0.00m);
        using var channel = As(Roles.Channel, $"kiosk-{Guid.NewGuid():N}"[..20]);
        var id = await PostAsync(channel, from, to, 10.00m);
        using var auditor = As(Roles.Auditor, "audit.li");

        var item = (await ListAsync(auditor, $"?account={from}")).GetProperty("transfers").EnumerateArray().Single();
        Assert.That(item.GetProperty("transfer_id").GetString(), Is.EqualTo(id));
        Assert.That(item.GetProperty("from_account").GetString(), Is.EqualTo(AccountMasking.Mask(from)).And.Not.EqualTo(from));
    }

    [TestCase("?status=DONE", "status")]
    [TestCase("?limit=0", "limit")]
    [TestCase("?limit=1000", "limit")]
    [TestCase("?cursor=next", "cursor")]
    [TestCase("?account=12ab", "account")]
    public async Task Bad_query_parameters_get_the_spec_error_naming_the_field(string query, string field)
    {
        using var staff = As(Roles.Operator, "ops.bad");
        using var response = await staff.GetAsync($"/api/v1/transfers{query}");
        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo(field));
    }
}
