using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Banking.Testing;

namespace Banking.Orchestrator.Tests.EndToEnd;

/// <summary>
/// Transfers through the real Orchestrator, DebitService and CreditService processes on real MariaDB x2 and RabbitMQ.
/// One platform for the fixture; each test uses its own transfer ids and, where balances are asserted, its own accounts.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Transfer_EndToEnd_Specs
{
    private TransferPlatform platform = null!;
    private static long nextKey = 50_000;

    [OneTimeSetUp]
    public async Task Start() => platform = await TransferPlatform.StartAsync("e2e", new Dictionary<string, string>
    {
        ["Transfers__StuckThreshold"] = "00:00:05",
        // Every other spec here moves at most 1,000.00; the four-eyes spec moves more.
        ["Transfers__FourEyesThreshold"] = "1000.00",
    });

    [OneTimeTearDown]
    public async Task Stop() => await platform.DisposeAsync();

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task<string> NewAccountAsync(int database, decimal balance, string status = "A", string currency = "CNY")
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"77{database}{key:D10}";
        await platform.CreateAccountAsync(database, key, accountNo, balance, status, currency);
        return accountNo;
    }

    [Test]
    public async Task A_transfer_moves_the_money_once_and_ends_SUCCESS()
    {
        var from = await NewAccountAsync(1, 10_000.00m);
        var to = await NewAccountAsync(2, 5_000.00m);
        var id = NewId("ok");

        await platform.SubmitAsync(id, from, to, 1_000.00m);
        var transfer = await platform.WaitForFinalAsync(id);

        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("SUCCESS"));
            Assert.That(transfer.SourceBalanceAfter, Is.EqualTo(9_000.00m));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(9_000.00m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(6_000.00m));
            Assert.That(await platform.HistoryAsync(1, id), Is.EqualTo(new[] { ("DEBIT", "D", 1_000.00m) }).Using<(string, string, decimal)>((a, b) => a.Item2 == b.Item2 && a.Item3 == b.Item3));
            Assert.That(await platform.HistoryAsync(2, id), Has.Count.EqualTo(1));
            Assert.That((await platform.HistoryAsync(2, id))[0].Direction, Is.EqualTo("C"));
        });
    }

    [Test]
    public async Task The_timeline_is_stored_with_each_step_and_names_the_state_each_step_led_to()
    {
        var from = await NewAccountAsync(1, 300.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("timeline");

        await platform.SubmitAsync(id, from, to, 30.00m);
        await platform.WaitForFinalAsync(id);

        // Stored by the saga repository in the saga's transaction (issue 19): what a line led to is known only at save time.
        await using var connection = new MySqlConnector.MySqlConnection(platform.Core);
        await connection.OpenAsync();
        await using var command = new MySqlConnector.MySqlCommand("SELECT event_type, from_state, to_state FROM transfer_event WHERE transfer_id = @id ORDER BY id", connection);
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<(string, string?, string?)>();
        while (await reader.ReadAsync()) lines.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));

        // A step re-sent after the 2-second test timeout adds lines of its own; these three are there whatever the timing.
        Assert.That(lines, Does.Contain(("TransferRequested", (string?)null, (string?)"Debiting"))
            .And.Contain(("AccountDebited", (string?)"Debiting", (string?)"Crediting"))
            .And.Contain(("AccountCredited", (string?)"Crediting", (string?)"Completed")), string.Join("; ", lines));
        Assert.That(lines.Select(l => l.Item3), Has.None.Null, "every line names the state it led to");
    }

    [Test]
    public async Task Insufficient_funds_end_FAILED_and_move_nothing()
    {
        var from = await NewAccountAsync(1, 100.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("poor");

        await platform.SubmitAsync(id, from, to, 100.01m);
        var transfer = await platform.WaitForFinalAsync(id);

        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("FAILED"));
            Assert.That(transfer.ReasonCode, Is.EqualTo("INSUFFICIENT_BALANCE"));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(100.00m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(0.00m));
            Assert.That(await platform.HistoryAsync(1, id), Is.Empty);
            Assert.That(await platform.HistoryAsync(2, id), Is.Empty);
        });
    }

    [Test]
    public async Task A_credit_to_a_restricted_account_is_reversed_and_ends_ROLLBACK_with_net_zero()
    {
        var from = await NewAccountAsync(1, 2_000.00m);
        var to = await NewAccountAsync(2, 0.00m, status: "F");
        var id = NewId("frozen");

        await platform.SubmitAsync(id, from, to, 750.00m);
        var transfer = await platform.WaitForFinalAsync(id);

        var debitSide = await platform.HistoryAsync(1, id);
        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("ROLLBACK"));
            Assert.That(transfer.ReasonCode, Is.EqualTo("ACCOUNT_RESTRICTED"));
            Assert.That(transfer.AmountAtRisk, Is.Null, "the reversal is confirmed, nothing is at risk");
            Assert.That(debitSide.Select(h => h.Direction), Is.EqualTo(new[] { "D", "C" }), "the debit and its reversal");
            Assert.That(debitSide.Sum(h => h.Direction == "C" ? h.Amount : -h.Amount), Is.EqualTo(0m));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(2_000.00m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(0.00m));
            Assert.That(await platform.HistoryAsync(2, id), Is.Empty);
        });
    }

    [Test]
    public async Task The_same_request_published_twice_makes_one_transfer()
    {
        var from = await NewAccountAsync(1, 1_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("dup");

        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => platform.SubmitAsync(id, from, to, 10.00m)));
        await platform.WaitForFinalAsync(id);
        await Task.Delay(1000);

        Assert.Multiple(async () =>
        {
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(990.00m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(10.00m));
            Assert.That(await platform.HistoryAsync(1, id), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task A_request_without_message_id_is_refused_and_starts_nothing()
    {
        var id = NewId("noid");
        await platform.PublishRawAsync($$"""{"transfer_id":"{{id}}","from_account":"6230399991006371427","to_account":"6230399991006371428","amount":1.00,"currency":"CNY"}""", messageId: null);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await platform.QueueDepthAsync("transfer-requests_error") == 0 && DateTime.UtcNow < deadline) await Task.Delay(200);

        Assert.Multiple(async () =>
        {
            Assert.That(await platform.QueueDepthAsync("transfer-requests_error"), Is.GreaterThanOrEqualTo(1), "the refused message is kept for an operator");
            Assert.That(await platform.TransferAsync(id), Is.Null);
        });
    }

    [Test]
    public async Task A_transfer_waits_out_a_CreditService_outage_of_30_seconds_and_is_credited_once()
    {
        var from = await NewAccountAsync(1, 500.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("outage");

        await platform.Credit.StopAsync();
        try
        {
            await platform.SubmitAsync(id, from, to, 125.50m);
            await platform.WaitForStateAsync(id, "Crediting");
            await Task.Delay(TimeSpan.FromSeconds(30));
            Assert.That((await platform.TransferAsync(id))!.Status, Is.EqualTo("PENDING"));
        }
        finally
        {
            await platform.Credit.StartAsync();
        }

        var transfer = await platform.WaitForFinalAsync(id);
        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("SUCCESS"));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(125.50m), "credited once although the step was re-sent many times");
            Assert.That(await platform.HistoryAsync(2, id), Has.Count.EqualTo(1));
            Assert.That((await platform.TimelineAsync(id)).Count(e => e.EventType == "StepResent"), Is.GreaterThan(0), "the sweeper re-sent the credit");
        });
    }

    [Test]
    public async Task An_operator_abort_of_a_transfer_whose_credit_was_lost_rolls_it_back_and_a_late_credit_is_refused()
    {
        var from = await NewAccountAsync(1, 300.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("abort");

        await platform.Credit.StopAsync();
        try
        {
            await platform.SubmitAsync(id, from, to, 300.00m);
            await platform.WaitForStateAsync(id, "Crediting");
            // The credit commands never arrive (lost in transit): the fence must win.
            await platform.PurgeQueueAsync("credit-ledger");

            using var http = OperatorClient("alice.operator");
            var response = await http.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/abort", new { reason = "customer called, cancel it" });
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
            await platform.WaitForStateAsync(id, "CancellingCredit");
            await platform.PurgeQueueAsync("credit-ledger");
        }
        finally
        {
            await platform.Credit.StartAsync();
        }

        var transfer = await platform.WaitForFinalAsync(id);
        Assert.That(transfer.Status, Is.EqualTo("ROLLBACK"));

        // The original credit shows up late: it must be refused by the fence.
        await platform.SendCreditAccountAsync(id, to, 300.00m);
        await Task.Delay(2000);

        var timeline = await platform.TimelineAsync(id);
        Assert.Multiple(async () =>
        {
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(300.00m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(0.00m), "the late credit was refused");
            Assert.That(await platform.HistoryAsync(2, id), Is.Empty);
            Assert.That(timeline.Any(e => e.Actor == "alice.operator"), Is.True, "the abort is in the timeline with who did it");
        });
    }

    [Test]
    public async Task An_operator_abort_after_the_credit_landed_completes_the_transfer_instead()
    {
        var from = await NewAccountAsync(1, 300.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("landed");

        await platform.Credit.StopAsync();
        await platform.SubmitAsync(id, from, to, 200.00m);
        await platform.WaitForStateAsync(id, "Crediting");

        // The credit lands while the orchestrator is away, and its answer is lost: the saga still thinks it is crediting.
        await platform.Orchestrator.StopAsync();
        await platform.Credit.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await platform.HistoryAsync(2, id)).Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        // The answer leaves the CreditService's outbox after the credit's commit, in a transaction of its own: only once
        // the outbox is empty is it sure to be in the queue, where the purge can lose it.
        while (await TransferPlatform.ScalarAsync<long>(platform.LedgerOf(2), "SELECT COUNT(*) FROM outbox_message", "") > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        await Task.Delay(500);
        await platform.PurgeQueueAsync("transfer-state");

        // The CreditService is away again while the orchestrator comes back: the step's deadline has long passed, so
        // the sweeper re-sends the credit at once, and with the CreditService up its answer would complete the
        // transfer before the operator's abort arrives. Queued, the re-sent credit and the fence meet the applied
        // credit together, whichever comes first.
        await platform.Credit.StopAsync();
        await platform.Orchestrator.StartAsync();
        using var http = OperatorClient("bob.operator");
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/abort", new { reason = "looks stuck" });
        }
        finally
        {
            await platform.Credit.StartAsync();
        }

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());

        var transfer = await platform.WaitForFinalAsync(id);
        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("SUCCESS"), "the fence found the credit applied, so the transfer completes");
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(100.00m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(200.00m));
            Assert.That(await platform.HistoryAsync(1, id), Has.Count.EqualTo(1), "no reversal");
            Assert.That(await platform.HistoryAsync(2, id), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task An_operator_abort_racing_the_credit_ends_in_exactly_one_outcome()
    {
        var from = await NewAccountAsync(1, 300.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("race");

        await platform.Credit.StopAsync();
        try
        {
            await platform.SubmitAsync(id, from, to, 200.00m);
            await platform.WaitForStateAsync(id, "Crediting");
            using var http = OperatorClient("dave.operator");
            var response = await http.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/abort", new { reason = "looks stuck" });
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            await platform.WaitForStateAsync(id, "CancellingCredit");
        }
        finally
        {
            // Queued credits and the cancel now reach CreditService together; whichever wins, only one outcome may stand.
            await platform.Credit.StartAsync();
        }

        var transfer = await platform.WaitForFinalAsync(id);
        var fromBalance = await platform.BalanceAsync(1, from);
        var toBalance = await platform.BalanceAsync(2, to);
        TestContext.Progress.WriteLine($"abort racing the credit ended {transfer.Status}");
        if (transfer.Status == "SUCCESS")
        {
            Assert.That((fromBalance, toBalance), Is.EqualTo((100.00m, 200.00m)));
        }
        else
        {
            Assert.That(transfer.Status, Is.EqualTo("ROLLBACK"));
            Assert.That((fromBalance, toBalance), Is.EqualTo((300.00m, 0.00m)));
        }
    }

    [Test]
    public async Task The_operator_api_admits_operators_only_and_answers_clearly()
    {
        using var anonymous = new HttpClient { BaseAddress = platform.Orchestrator.BaseAddress };
        using var channel = new HttpClient { BaseAddress = platform.Orchestrator.BaseAddress };
        channel.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("channel"));
        using var http = OperatorClient("carol.operator");

        var finished = NewId("fin");
        await platform.SubmitAsync(finished, "6230399991006371427", "6230399991006371428", 1.00m);
        await platform.WaitForFinalAsync(finished);

        Assert.Multiple(async () =>
        {
            Assert.That((await anonymous.PostAsJsonAsync($"/api/v1/operator/transfers/{finished}/retry", new { reason = "x" })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That((await channel.PostAsJsonAsync($"/api/v1/operator/transfers/{finished}/retry", new { reason = "x" })).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await http.PostAsJsonAsync("/api/v1/operator/transfers/NO-SUCH-TRANSFER/retry", new { reason = "x" })).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            var final = await http.PostAsJsonAsync($"/api/v1/operator/transfers/{finished}/abort", new { reason = "x" });
            Assert.That(final.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(await final.Content.ReadAsStringAsync(), Does.Contain("\"code\":\"TRANSFER_FINAL\""));
            Assert.That((await http.PostAsJsonAsync($"/api/v1/operator/transfers/{finished}/abort", new { reason = "" })).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task Five_hundred_concurrent_transfers_among_twenty_accounts_all_end_final_and_no_money_is_made_or_lost()
    {
        var sources = new List<string>();
        var destinations = new List<string>();
        for (var i = 0; i < 10; i++) sources.Add(await NewAccountAsync(1, 1_000.00m));
        for (var i = 0; i < 9; i++) destinations.Add(await NewAccountAsync(2, 100.00m));
        destinations.Add(await NewAccountAsync(2, 100.00m, status: "C"));
        var before = await platform.TotalAsync(1) + await platform.TotalAsync(2);

        var random = new Random(42);
        var ids = Enumerable.Range(0, 500).Select(i => NewId($"load{i}")).ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, _) =>
        {
            int s, d;
            lock (random)
            {
                s = random.Next(sources.Count);
                d = random.Next(destinations.Count);
            }

            await platform.SubmitAsync(id, sources[s], destinations[d], 37.25m);
        });

        var finals = new List<TransferRow>();
        foreach (var id in ids) finals.Add(await platform.WaitForFinalAsync(id, TimeSpan.FromMinutes(3)));
        var after = await platform.TotalAsync(1) + await platform.TotalAsync(2);

        var byStatus = finals.GroupBy(f => f.Status).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Progress.WriteLine($"500 transfers: {string.Join(", ", byStatus.Select(kv => $"{kv.Key} {kv.Value}"))}");
        Assert.Multiple(async () =>
        {
            Assert.That(after, Is.EqualTo(before), "money is neither created nor lost");
            Assert.That(byStatus.GetValueOrDefault("SUCCESS"), Is.GreaterThan(0));
            Assert.That(byStatus.GetValueOrDefault("ROLLBACK"), Is.GreaterThan(0), "credits to the closed account are reversed");
            foreach (var source in sources) Assert.That(await platform.BalanceAsync(1, source), Is.GreaterThanOrEqualTo(0m));
        });
    }

    [Test]
    public async Task An_abort_above_the_four_eyes_threshold_needs_a_second_operator_and_is_carried_out_in_both_names()
    {
        var from = await NewAccountAsync(1, 5_000.00m);
        var to = await NewAccountAsync(2, 0.00m);
        var id = NewId("foureyes");
        using var alice = OperatorClient("alice.operator");
        using var bob = OperatorClient("bob.operator");

        await platform.Credit.StopAsync();
        try
        {
            await platform.SubmitAsync(id, from, to, 2_500.00m);
            await platform.WaitForStateAsync(id, "Crediting");
            await platform.PurgeQueueAsync("credit-ledger");

            var nothingWaits = await bob.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/abort/approve", new { reason = "too early" });
            await AssertErrorAsync(nothingWaits, 409, "NO_APPROVAL_PENDING", "approving before anyone asked");

            var asked = await alice.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/abort", new { reason = "customer dispute" });
            Assert.That(asked.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await asked.Content.ReadAsStringAsync());
            Assert.That(await asked.Content.ReadAsStringAsync(), Does.Contain("\"approval_required\":true"));
            await Eventually.HoldsAsync(async () => (await platform.TimelineAsync(id)).Any(e => e.EventType == "AbortAwaitingApproval"),
                "the abort waiting for a second operator", TimeSpan.FromSeconds(30));

            await AssertErrorAsync(await alice.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/abort/approve", new { reason = "mine" }),
                403, "FORBIDDEN", "the asker approving their own abort");
            await AssertErrorAsync(await bob.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/retry", new { reason = "resend instead" }),
                409, "APPROVAL_PENDING", "another action while one waits");
            await AssertErrorAsync(await bob.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/abort/reject", new { reason = "" }),
                400, "VALIDATION_ERROR", "a rejection without a reason");
            Assert.That(await platform.WaitForStateAsync(id, "Crediting"), Is.Not.Null, "one operator's word fenced nothing");

            var approved = await bob.PostAsJsonAsync($"/api/v1/operator/transfers/{id}/abort/approve", new { reason = "dispute confirmed" });
            Assert.That(approved.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await approved.Content.ReadAsStringAsync());
            await platform.WaitForStateAsync(id, "CancellingCredit");
            await platform.PurgeQueueAsync("credit-ledger");
        }
        finally
        {
            await platform.Credit.StartAsync();
        }

        var transfer = await platform.WaitForFinalAsync(id);
        var timeline = await platform.TimelineAsync(id);
        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("ROLLBACK"));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(5_000.00m), "the debit was given back");
            Assert.That(await CountAsync(
                "SELECT COUNT(*) FROM transfer_log WHERE transfer_id = @p AND aborted_by = 'alice.operator' AND abort_approved_by = 'bob.operator' AND pending_action IS NULL", id), Is.EqualTo(1));
            Assert.That(timeline.Single(e => e.EventType == "AbortAwaitingApproval").Actor, Is.EqualTo("alice.operator"));
            Assert.That(timeline.Single(e => e.EventType == "AbortApproved").Actor, Is.EqualTo("bob.operator"));
        });
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, int status, string code, string because)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(status), $"{because}: {body}");
        Assert.That(body, Does.Contain($"\"code\":\"{code}\""), because);
    }

    private async Task<long> CountAsync(string sql, string parameter)
    {
        await using var connection = new MySqlConnector.MySqlConnection(platform.Core);
        await connection.OpenAsync();
        await using var command = new MySqlConnector.MySqlCommand(sql, connection);
        command.Parameters.AddWithValue("@p", parameter);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private HttpClient OperatorClient(string name)
    {
        var http = new HttpClient { BaseAddress = platform.Orchestrator.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("operator", name));
        return http;
    }
}
