using System.Net;
using System.Text.Json;
using Banking.Contracts.Transfers;
using Banking.Gateway.Security;
using Banking.Gateway.Tests.Support;
using Banking.Gateway.Transfers;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Gateway.Tests;

public sealed class Transfer_Specs
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

    private static string Reference() => "T" + Guid.NewGuid().ToString("N")[..20];

    private (string From, string To) TwoAccounts(decimal sourceBalance = 10000.00m)
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, sourceBalance);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        return (from, to);
    }

    [Test]
    public async Task The_seed_sample_request_gets_a_body_shaped_like_the_seed_response()
    {
        var (from, to) = TwoAccounts();
        var reference = Reference();
        using var response = await channel.PostJson("/api/v1/transfer", $$"""
            {"from_account":"{{from}}","to_account":"{{to}}","amount":1000.00,"currency":"CNY","description":"Transfer payment","reference":"{{reference}}"}
            """);
        var body = await response.Json();

        var seed = JsonDocument.Parse("""
            {"status":"success","transfer_id":"TXN20250107001","transaction_time":"2025-01-07T10:30:00Z","from_account":"6230399991006371427",
             "to_account":"6230399991006371428","amount":1000.00,"currency":"CNY","new_balance":9000.00}
            """).RootElement;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        Assert.That(body.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind)), Is.EqualTo(seed.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind))));
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("success"));
            Assert.That(body.GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
            Assert.That(body.GetProperty("transaction_time").GetString(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"));
            Assert.That(body.GetProperty("from_account").GetString(), Is.EqualTo(from));
            Assert.That(body.GetProperty("to_account").GetString(), Is.EqualTo(to));
            Assert.That(body.Raw("amount"), Is.EqualTo("1000.00"));
            Assert.That(body.GetProperty("currency").GetString(), Is.EqualTo("CNY"));
            Assert.That(body.Raw("new_balance"), Is.EqualTo("9000.00"), "the source balance after the debit");
            Assert.That(response.Headers.Contains(TransferHeaders.IdempotentReplayed), Is.False);
        });
    }

    [Test]
    public async Task The_request_carries_hash_channel_and_caller_to_the_saga()
    {
        var (from, to) = TwoAccounts();
        var reference = Reference();
        using var response = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 12.5m, currency = "CNY", reference });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using var status = await channel.GetAsync($"/api/v1/transfer/{reference}");
        var body = await status.Json();
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("SUCCESS"));
        Assert.That(body.Raw("amount"), Is.EqualTo("12.50"));
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.EqualTo(1));
    }

    [Test]
    public async Task A_request_without_reference_gets_a_generated_transfer_id()
    {
        var (from, to) = TwoAccounts();
        using var response = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 1, currency = "CNY" });
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        var id = body.GetProperty("transfer_id").GetString();
        Assert.That(id, Does.Match("^TXN[0-9A-F]{29}$"));
        Assert.That(gateway.Responder.HasTransfer(id!), Is.True);
        Assert.That(body.Raw("amount"), Is.EqualTo("1.00"));
    }

    [Test]
    public async Task Insufficient_balance_is_422_with_the_seeds_details()
    {
        var (from, to) = TwoAccounts(sourceBalance: 500.00m);
        using var response = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 1000.00m, currency = "CNY", reference = Reference() });
        var error = await response.Error(HttpStatusCode.UnprocessableEntity, "INSUFFICIENT_BALANCE");
        var details = error.GetProperty("details");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("Account balance is insufficient for this transaction"));
            Assert.That(details.GetProperty("account").GetString(), Is.EqualTo(from));
            Assert.That(details.Raw("available_balance"), Is.EqualTo("500.00"));
            Assert.That(details.Raw("requested_amount"), Is.EqualTo("1000.00"));
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(500.00m));
        });
    }

    [Test]
    public async Task A_restricted_source_is_422_ACCOUNT_RESTRICTED()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1000m, status: "F");
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        using var response = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10m, currency = "CNY" });
        var error = await response.Error(HttpStatusCode.UnprocessableEntity, "ACCOUNT_RESTRICTED");
        Assert.That(error.GetProperty("details").GetProperty("account").GetString(), Is.EqualTo(from));
    }

    [Test]
    public async Task An_unknown_source_is_404_ACCOUNT_NOT_FOUND()
    {
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        using var response = await channel.PostTransfer(new { from_account = NewAccountNo(), to_account = to, amount = 10m, currency = "CNY" });
        var error = await response.Error(HttpStatusCode.NotFound, "ACCOUNT_NOT_FOUND");
        Assert.That(error.GetProperty("details").GetProperty("transfer_status").GetString(), Is.EqualTo("FAILED"));
    }

    [Test]
    public async Task An_unknown_destination_is_rolled_back_and_answered_404()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1000m);
        var to = NewAccountNo();
        using var response = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10m, currency = "CNY" });
        var error = await response.Error(HttpStatusCode.NotFound, "ACCOUNT_NOT_FOUND");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("details").GetProperty("account").GetString(), Is.EqualTo(to));
            Assert.That(error.GetProperty("details").GetProperty("transfer_status").GetString(), Is.EqualTo("ROLLBACK"));
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(1000m), "the debit was reversed");
        });
    }

    [Test]
    public async Task A_currency_the_account_does_not_hold_is_422_CURRENCY_MISMATCH()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1000m, currency: "USD");
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        using var response = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10m, currency = "CNY" });
        await response.Error(HttpStatusCode.UnprocessableEntity, "CURRENCY_MISMATCH");
    }

    [Test]
    public async Task Fifty_identical_requests_at_once_make_one_transfer_and_fifty_equal_answers()
    {
        var (from, to) = TwoAccounts(sourceBalance: 10000m);
        var reference = Reference();
        var json = JsonSerializer.Serialize(new { from_account = from, to_account = to, amount = 100.00m, currency = "CNY", reference });

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => channel.PostJson("/api/v1/transfer", json)));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        try
        {
            // Each publish was confirmed by the broker before its answer, but the saga's stand-in takes the replays
            // from its queue at its own pace: an answer can come from the first request's outcome before the
            // stand-in has seen the last replay (failed so once in CI, 18 of 50 counted at the answer).
            await Eventually.HoldsAsync(() => gateway.Responder.RequestsSeen(reference) >= 50, "every request reached the saga's queue", TimeSpan.FromSeconds(20));
            Assert.Multiple(() =>
            {
                Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK), string.Join("\n", bodies.Distinct()));
                Assert.That(bodies.Distinct().Count(), Is.EqualTo(1), "every answer is the same outcome");
                Assert.That(responses.Count(r => r.Headers.TryGetValues(TransferHeaders.IdempotentReplayed, out var v) && v.Single() == "true"), Is.EqualTo(49));
                Assert.That(gateway.Responder.RequestsSeen(reference), Is.EqualTo(50), "every request was published");
                Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(9900m), "one debit");
                Assert.That(gateway.Responder.BalanceOf(to), Is.EqualTo(100m), "one credit");
            });
        }
        finally
        {
            foreach (var response in responses) response.Dispose();
        }
    }

    [Test]
    public async Task A_later_replay_gets_the_same_outcome_marked_as_replayed()
    {
        var (from, to) = TwoAccounts(sourceBalance: 300m);
        var body = new { from_account = from, to_account = to, amount = 200m, currency = "CNY", reference = Reference() };
        using var first = await channel.PostTransfer(body);
        using var again = await channel.PostTransfer(body);
        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await again.Content.ReadAsStringAsync(), Is.EqualTo(await first.Content.ReadAsStringAsync()));
            Assert.That(again.Headers.GetValues(TransferHeaders.IdempotentReplayed).Single(), Is.EqualTo("true"));
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(100m), "debited once");
        });

        // A replayed failure is the same failure, also marked.
        var poor = new { from_account = from, to_account = to, amount = 5000m, currency = "CNY", reference = Reference() };
        using var failed = await channel.PostTransfer(poor);
        using var failedAgain = await channel.PostTransfer(poor);
        var error = await failedAgain.Error(HttpStatusCode.UnprocessableEntity, "INSUFFICIENT_BALANCE");
        Assert.That(failedAgain.Headers.GetValues(TransferHeaders.IdempotentReplayed).Single(), Is.EqualTo("true"));
        Assert.That(error.GetProperty("details").Raw("available_balance"), Is.EqualTo("100.00"));
    }

    [Test]
    public async Task The_same_reference_with_another_body_is_409_DUPLICATE_REFERENCE()
    {
        var (from, to) = TwoAccounts();
        var reference = Reference();
        using var first = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10m, currency = "CNY", reference });
        using var other = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 11m, currency = "CNY", reference });

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var error = await other.Error(HttpStatusCode.Conflict, "DUPLICATE_REFERENCE");
        Assert.That(error.GetProperty("details").GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.EqualTo(1), "the conflicting request was not published");
        Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(9990m));
    }

    [Test]
    public async Task A_reference_Redis_does_not_know_is_refused_by_the_saga_and_answered_409_DUPLICATE_REFERENCE()
    {
        // A transfer Redis has no key for: it expired or was lost, or an upstream system chose the reference.
        var (from, to) = TwoAccounts();
        var reference = Reference();
        var recorded = new TransferRequested
        {
            TransferId = reference, FromAccount = from, ToAccount = to, Amount = 10m, Currency = "CNY",
            RequestHash = TransferInput.Hash(from, to, 10m, "CNY", null),
        };
        gateway.Responder.RecordFinishedTransfer(recorded, new TransferCompleted
        {
            TransferId = reference, FromAccount = from, ToAccount = to, Amount = 10m, Currency = "CNY", SourceBalanceAfter = 9990m, CompletedAtUtc = DateTime.UtcNow,
        });

        using var other = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 99m, currency = "CNY", reference });
        var error = await other.Error(HttpStatusCode.Conflict, "DUPLICATE_REFERENCE");
        Assert.Multiple(async () =>
        {
            Assert.That(error.GetProperty("details").GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
            Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("reference"));
            Assert.That(gateway.Responder.RequestsSeen(reference), Is.EqualTo(1), "published: the saga, not a query before the publish, told the conflict");
            Assert.That(gateway.Responder.ConflictsPublished(reference), Is.EqualTo(1));
            Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}idem:{reference}"), Is.False,
                "the refused request's hash is not kept for a reference that is not its own");
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(10000m), "nothing moved");
        });

        // The same body as recorded gets the finished transfer's outcome, and moves no money again.
        using var same = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10.00m, currency = "CNY", reference });
        var body = await same.Json();
        Assert.That(same.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        Assert.That(body.Raw("new_balance"), Is.EqualTo("9990.00"));
        Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(10000m));
    }

    [Test]
    public async Task A_conflicting_request_is_answered_409_while_the_original_under_the_same_reference_still_gets_its_outcome()
    {
        var (from, to) = TwoAccounts();
        gateway.Responder.DelayTransfersFrom(from, TimeSpan.FromSeconds(2));
        var reference = Reference();
        var original = channel.PostTransfer(new { from_account = from, to_account = to, amount = 10m, currency = "CNY", reference });
        await Eventually.HoldsAsync(() => gateway.Responder.RequestsSeen(reference) == 1, "the saga has the original", TimeSpan.FromSeconds(10));

        // Redis forgets the reference (TTL, restart) while the original is in flight: two waiters now share it.
        await gateway.Redis.GetDatabase().KeyDeleteAsync($"{gateway.KeyPrefix}idem:{reference}");
        using var conflicting = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 11m, currency = "CNY", reference });
        var error = await conflicting.Error(HttpStatusCode.Conflict, "DUPLICATE_REFERENCE");

        using var first = await original;
        var body = await first.Json();
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("details").GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
            Assert.That(gateway.Responder.ConflictsPublished(reference), Is.EqualTo(1), "the saga refused the second request");
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.Raw("amount"), Is.EqualTo("10.00"), "the original's own outcome");
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(9990m), "one debit, of the original's amount");
            Assert.That(gateway.Responder.BalanceOf(to), Is.EqualTo(10m));
        });
    }

    [Test]
    public async Task A_slow_transfer_is_202_PENDING_with_a_Location_that_later_says_SUCCESS()
    {
        var (from, to) = TwoAccounts();
        // Well past the sync wait, so a busy CI machine cannot turn the 202 into a 200.
        gateway.Responder.DelayTransfersFrom(from, TimeSpan.FromMilliseconds(7000));
        var reference = Reference();
        using var response = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 70m, currency = "CNY", reference });

        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), body.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/api/v1/transfer/{reference}"));
            Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("PENDING"));
            Assert.That(body.GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
            Assert.That(body.GetProperty("from_account").GetString(), Is.EqualTo(from));
            Assert.That(body.GetProperty("to_account").GetString(), Is.EqualTo(to));
            Assert.That(body.Raw("amount"), Is.EqualTo("70.00"));
            Assert.That(body.GetProperty("currency").GetString(), Is.EqualTo("CNY"));
        });

        using var pending = await channel.GetAsync(response.Headers.Location);
        Assert.That((await pending.Json()).GetProperty("status").GetString(), Is.EqualTo("PENDING"));

        JsonElement status = default;
        for (var i = 0; i < 300; i++)
        {
            using var poll = await channel.GetAsync(response.Headers.Location);
            status = await poll.Json();
            if (status.GetProperty("status").GetString() != "PENDING") break;
            await Task.Delay(100);
        }

        var seed = JsonDocument.Parse("""
            {"transfer_id":"TXN20250107001","status":"SUCCESS","from_account":"6230399991006371427","to_account":"6230399991006371428",
             "amount":1000.00,"currency":"CNY","created_at":"2025-01-07T10:30:00Z","completed_at":"2025-01-07T10:30:02Z"}
            """).RootElement;
        Assert.That(status.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind)), Is.EqualTo(seed.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind))));
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("SUCCESS"));
        Assert.That(status.GetProperty("completed_at").GetString(), Does.EndWith("Z"));
    }

    [Test]
    public async Task An_unknown_transfer_is_404_TRANSFER_NOT_FOUND()
    {
        using var response = await channel.GetAsync($"/api/v1/transfer/{Reference()}");
        await response.Error(HttpStatusCode.NotFound, "TRANSFER_NOT_FOUND");
    }

    [Test]
    public async Task A_malformed_transfer_id_is_400()
    {
        using var response = await channel.GetAsync("/api/v1/transfer/bad%20id!");
        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("transfer_id"));
    }

    [Test]
    public async Task An_orchestrator_that_does_not_answer_makes_the_status_query_503()
    {
        var reference = Reference();
        gateway.Responder.NeverAnswerStatusOf(reference);
        using var response = await channel.GetAsync($"/api/v1/transfer/{reference}");
        await response.Error(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
    }
}
