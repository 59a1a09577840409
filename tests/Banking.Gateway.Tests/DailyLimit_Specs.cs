using System.Net;
using System.Text.Json;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using MySqlConnector;

namespace Banking.Gateway.Tests;

/// <summary>
/// Issue 17, point 3: the daily outgoing limits, per source account and per customer, checked by DebitService with the
/// debit itself, end to end through the gateway on the real platform. The platform runs with small limits (account
/// 1,000.00, customer 1,500.00 per business date) so that a spec can reach them.
/// </summary>
[NonParallelizable]
public sealed class DailyLimit_Specs
{
    private const decimal AccountLimit = 1_000.00m;
    private const decimal CustomerLimit = 1_500.00m;
    private static long nextKey = 90_000;

    private TransferPlatform platform = null!;
    private GatewayHost gateway = null!;
    private HttpClient channel = null!;
    private string destination = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        platform = await TransferPlatform.StartAsync("gw-daily-limit", serviceSettings: new Dictionary<string, string>
        {
            ["Ledger__DailyLimits__AccountDefault"] = AccountLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ledger__DailyLimits__CustomerDefault"] = CustomerLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        gateway = await GatewayHost.StartAsync("gw-daily-limit-gateway", new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = platform.Broker.ToString(),
        }, withResponder: false);
        await gateway.WaitUntilReadyAsync();
        channel = gateway.ClientAs(Roles.Channel);
        destination = await NewAccountAsync(2, 0.00m, "T9999");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        channel.Dispose();
        await gateway.DisposeAsync();
        await platform.DisposeAsync();
    }

    /// <summary>Each spec's accounts belong to a customer of their own, so the customer limit is the spec's alone.</summary>
    private async Task<string> NewAccountAsync(int database, decimal balance, string clientNo, string status = "A")
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"79{database}{key:D10}";
        await platform.CreateAccountAsync(database, key, accountNo, balance, status, clientNo: clientNo);
        return accountNo;
    }

    private static string NewCustomer() => $"D{Interlocked.Increment(ref nextKey)}";

    private static object Body(string reference, string from, string to, decimal amount) =>
        new { from_account = from, to_account = to, amount, currency = "CNY", description = "daily limit test", reference };

    private async Task<decimal> CountedAsync(string scope, string key) =>
        await TransferPlatform.ScalarAsync<decimal>(platform.Db1,
            $"SELECT COALESCE(SUM(amount), 0) FROM daily_outgoing WHERE scope = '{scope}' AND scope_key = @p", key);

    /// <summary>Posts the transfer and, when the answer is 202, waits for its outcome; returns the final status and, for a refusal, the error.</summary>
    private async Task<(string Status, JsonElement? Error)> TransferAsync(string reference, string from, string to, decimal amount)
    {
        using var response = await channel.PostTransfer(Body(reference, from, to, amount));
        var body = await response.Json();
        if (response.StatusCode == HttpStatusCode.OK) return ("SUCCESS", null);
        if (response.StatusCode == HttpStatusCode.Accepted) return ((await platform.WaitForFinalAsync(reference)).Status, null);
        Assert.That(body.TryGetProperty("error", out var error), Is.True, $"{(int)response.StatusCode}: {body}");
        return (error.GetProperty("details").GetProperty("transfer_status").GetString()!, error);
    }

    [Test]
    public async Task Fifty_concurrent_transfers_against_a_daily_limit_that_fits_ten_let_exactly_ten_through()
    {
        var from = await NewAccountAsync(1, 100_000.00m, NewCustomer());
        var ids = Enumerable.Range(0, 50).Select(i => $"dl50-{i:D2}-{Guid.NewGuid():N}").ToList();

        var outcomes = await Task.WhenAll(ids.Select(id => TransferAsync(id, from, destination, 100.00m)));
        var finals = await Task.WhenAll(ids.Select(id => platform.WaitForFinalAsync(id)));

        Assert.Multiple(async () =>
        {
            Assert.That(finals.Count(t => t.Status == "SUCCESS"), Is.EqualTo(10), "exactly the ten that fit");
            Assert.That(finals.Where(t => t.Status != "SUCCESS").Select(t => (t.Status, t.ReasonCode)).Distinct(),
                Is.EqualTo(new[] { ("FAILED", (string?)"DAILY_LIMIT_EXCEEDED") }), "every other one refused for the limit");
            Assert.That(outcomes.Count(o => o.Status == "SUCCESS"), Is.EqualTo(10), "the channel was told of ten successes");
            // A refusal that came after the gateway's wait was answered 202 and is FAILED above; every one answered in time is the limit's.
            Assert.That(outcomes.Where(o => o.Error is not null).Select(o => o.Error!.Value.GetProperty("code").GetString()).Distinct(),
                Is.EqualTo(new[] { "DAILY_LIMIT_EXCEEDED" }));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(99_000.00m), "ten debits of 100.00");
            Assert.That(await CountedAsync("ACCOUNT", from), Is.EqualTo(1_000.00m), "the day's counter is the limit, not more");
        });
    }

    [Test]
    public async Task A_refusal_is_422_DAILY_LIMIT_EXCEEDED_with_the_remaining_allowance_and_moves_nothing()
    {
        var from = await NewAccountAsync(1, 10_000.00m, NewCustomer());
        Assert.That((await TransferAsync($"dlr-a-{Guid.NewGuid():N}", from, destination, 700.00m)).Status, Is.EqualTo("SUCCESS"));

        var refused = $"dlr-b-{Guid.NewGuid():N}";
        using var response = await channel.PostTransfer(Body(refused, from, destination, 400.00m));
        var error = await response.Error((HttpStatusCode)422, "DAILY_LIMIT_EXCEEDED");
        var details = error.GetProperty("details");
        Assert.Multiple(async () =>
        {
            Assert.That(details.Raw("remaining_allowance"), Is.EqualTo("300.00"));
            Assert.That(details.Raw("requested_amount"), Is.EqualTo("400.00"));
            Assert.That(details.GetProperty("account").GetString(), Is.EqualTo(from));
            Assert.That(details.GetProperty("transfer_id").GetString(), Is.EqualTo(refused));
            Assert.That(details.GetProperty("transfer_status").GetString(), Is.EqualTo("FAILED"));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(9_300.00m), "only the first transfer's debit");
            Assert.That(await platform.HistoryAsync(1, refused), Is.Empty, "no ledger row for the refused one");
        });

        // What is left still goes through: the limit is cumulative, not a cap per transfer.
        Assert.That((await TransferAsync($"dlr-c-{Guid.NewGuid():N}", from, destination, 300.00m)).Status, Is.EqualTo("SUCCESS"));
        Assert.That(await CountedAsync("ACCOUNT", from), Is.EqualTo(1_000.00m));
    }

    [Test]
    public async Task The_customer_limit_counts_all_of_the_customers_accounts_together()
    {
        var customer = NewCustomer();
        var first = await NewAccountAsync(1, 10_000.00m, customer);
        var second = await NewAccountAsync(1, 10_000.00m, customer);
        Assert.That((await TransferAsync($"dlc-a-{Guid.NewGuid():N}", first, destination, 1_000.00m)).Status, Is.EqualTo("SUCCESS"));

        // The second account has its whole account limit left, but the customer only 500.00.
        var (status, error) = await TransferAsync($"dlc-b-{Guid.NewGuid():N}", second, destination, 600.00m);
        Assert.Multiple(async () =>
        {
            Assert.That(status, Is.EqualTo("FAILED"));
            Assert.That(error?.GetProperty("code").GetString(), Is.EqualTo("DAILY_LIMIT_EXCEEDED"));
            Assert.That(error?.GetProperty("details").Raw("remaining_allowance"), Is.EqualTo("500.00"));
            Assert.That(await platform.BalanceAsync(1, second), Is.EqualTo(10_000.00m));
            Assert.That(await CountedAsync("CUSTOMER", customer), Is.EqualTo(1_000.00m));
        });
        Assert.That((await TransferAsync($"dlc-c-{Guid.NewGuid():N}", second, destination, 500.00m)).Status, Is.EqualTo("SUCCESS"));
    }

    [Test]
    public async Task A_reversal_gives_the_allowance_back()
    {
        var from = await NewAccountAsync(1, 10_000.00m, NewCustomer());
        var closed = await NewAccountAsync(2, 0.00m, "T9998", status: "C");

        // The credit is refused, the debit reversed: the 800.00 no longer counts.
        var reversed = $"dlv-a-{Guid.NewGuid():N}";
        Assert.That((await TransferAsync(reversed, from, closed, 800.00m)).Status, Is.EqualTo("ROLLBACK"));
        Assert.That(await CountedAsync("ACCOUNT", from), Is.EqualTo(0.00m));

        // 900.00 fits the 1,000.00 only because the 800.00 was given back.
        Assert.That((await TransferAsync($"dlv-b-{Guid.NewGuid():N}", from, destination, 900.00m)).Status, Is.EqualTo("SUCCESS"));
        Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(9_100.00m));
    }

    [Test]
    public async Task An_override_in_the_ledger_replaces_the_default_for_that_account()
    {
        var from = await NewAccountAsync(1, 10_000.00m, NewCustomer());
        await using (var connection = new MySqlConnection(platform.Db1))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand(
                "INSERT INTO daily_limit (scope, scope_key, currency, daily_limit, updated_at) VALUES ('ACCOUNT', @no, 'CNY', 250.00, UTC_TIMESTAMP(6))", connection);
            command.Parameters.AddWithValue("@no", from);
            await command.ExecuteNonQueryAsync();
        }

        var (status, error) = await TransferAsync($"dlo-a-{Guid.NewGuid():N}", from, destination, 300.00m);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo("FAILED"));
            Assert.That(error?.GetProperty("details").Raw("remaining_allowance"), Is.EqualTo("250.00"));
        });
        Assert.That((await TransferAsync($"dlo-b-{Guid.NewGuid():N}", from, destination, 250.00m)).Status, Is.EqualTo("SUCCESS"));
    }
}
