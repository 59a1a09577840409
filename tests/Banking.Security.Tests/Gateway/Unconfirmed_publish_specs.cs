using System.Collections.Concurrent;
using System.Net;
using Banking.Contracts.Transfers;
using Banking.Gateway.Tests.Support;
using Banking.Gateway.Transfers;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Security.Tests.Gateway;

/// <summary>
/// Issue 15, item 17: a publish still waiting for its broker confirm was cancelled after Gateway:PublishTimeoutMs, the
/// claim released and the client told 503 "not started", though the message was already queued: a client retrying
/// under a new reference paid twice. Issue 14 (the fault run's F20261202-0347699): the fix answered such a publish 202
/// "poll", a promise that the transfer exists, and the message was lost with the broker's restart. A publish without a
/// confirm is now answered from its outcome if it comes in time, otherwise 503 "unknown, retry with the same reference"
/// with the claim kept: never 202, never a released claim.
/// </summary>
public sealed class Unconfirmed_publish_specs
{
    private const int PublishTimeoutMs = 500;
    private const int RetryAfterSeconds = 2;

    private static readonly Dictionary<string, string?> ShortWaits = new()
    {
        ["Gateway:PublishTimeoutMs"] = PublishTimeoutMs.ToString(),
        ["Gateway:SyncWaitMs"] = "500",
        ["Gateway:UnconfirmedRetryAfterSeconds"] = RetryAfterSeconds.ToString(),
    };

    private GatewayHost gateway = null!;

    [OneTimeSetUp]
    public async Task Start() => gateway = await GatewayHost.StartAsync("sec-held-confirm", ShortWaits,
        services => services.AddSingleton<TransferRequestPublisher, ConfirmHeldPublisher>());

    [OneTimeTearDown]
    public async Task Stop() => await gateway.DisposeAsync();

    [Test]
    public async Task A_publish_whose_confirm_is_held_past_the_timeout_is_503_retry_the_same_reference_with_the_claim_kept_and_a_retry_pays_nothing_more()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        gateway.Responder.DelayTransfersFrom(from, TimeSpan.FromSeconds(4));
        var reference = "UNC" + Guid.NewGuid().ToString("N")[..20];
        var body = new { from_account = from, to_account = to, amount = 250.00m, currency = "CNY", reference };
        using var channel = gateway.ClientAs(Roles.Channel);

        using (var first = await channel.PostTransfer(body))
        {
            await AssertUnknownRetrySameReference(first, reference);
            Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}idem:{reference}"), Is.True, "the claim is kept");
        }

        // The message was queued all along.
        await Eventually.HoldsAsync(() => gateway.Responder.RequestsSeen(reference) == 1, "the saga got the transfer", TimeSpan.FromSeconds(10));

        // A retry while the transfer is in flight is published again (its confirm is held too); the saga does nothing
        // with it, and the answer is still "unknown", never a promise.
        using (var inFlight = await channel.PostTransfer(body))
        {
            await AssertUnknownRetrySameReference(inFlight, reference);
            Assert.That(inFlight.Headers.GetValues("Idempotent-Replayed").Single(), Is.EqualTo("true"));
        }

        using (var otherBody = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 999.00m, currency = "CNY", reference }))
            await otherBody.Error(HttpStatusCode.Conflict, "DUPLICATE_REFERENCE");

        await Eventually.HoldsAsync(async () =>
        {
            using var status = await channel.GetAsync($"/api/v1/transfer/{reference}");
            return status.StatusCode == HttpStatusCode.OK && (await status.Json()).GetProperty("status").GetString() == "SUCCESS";
        }, "the transfer completes", TimeSpan.FromSeconds(20));

        // The client retries the same reference once more: the saga answers the repeated request with the final event,
        // which arrives while the gateway still waits for the retry's confirm.
        using var retry = await channel.PostTransfer(body);
        var answer = await retry.Json();
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(retry.Headers.GetValues("Idempotent-Replayed").Single(), Is.EqualTo("true"));
            Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("success"));
            Assert.That(answer.GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
            Assert.That(answer.GetProperty("new_balance").GetDecimal(), Is.EqualTo(750m));
            Assert.That(gateway.Responder.RequestsSeen(reference), Is.EqualTo(3), "the first request and its two retries");
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(750m), "paid once");
            Assert.That(gateway.Responder.BalanceOf(to), Is.EqualTo(250m));
        });
    }

    [Test]
    public async Task A_transfer_request_lost_before_its_confirm_is_503_retry_the_same_reference_not_202_and_the_retry_moves_the_money_once()
    {
        // The fault run's F20261202-0347699: the gateway handed the message to its channel, the broker restarted before
        // confirming it, and the message was gone. Before the fix this was answered 202 "poll": a promise that the
        // transfer exists and will end final, for a transfer the saga never saw.
        await using var losing = await GatewayHost.StartAsync("sec-lost-publish", ShortWaits,
            services => services.AddSingleton<TransferRequestPublisher, BrokerRestartingPublisher>());
        var from = losing.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = losing.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = "LST" + Guid.NewGuid().ToString("N")[..20];
        var body = new { from_account = from, to_account = to, amount = 300.00m, currency = "CNY", reference };
        using var channel = losing.ClientAs(Roles.Channel);

        using (var first = await channel.PostTransfer(body))
        {
            await AssertUnknownRetrySameReference(first, reference);
            Assert.That(await losing.Redis.GetDatabase().KeyExistsAsync($"{losing.KeyPrefix}idem:{reference}"), Is.True,
                "the claim is kept: the gateway cannot know that the message is gone, so a new reference must not be taken for a new transfer");
        }

        // Nothing reached the saga, and the status query says so rather than PENDING.
        await Task.Delay(500);
        Assert.That(losing.Responder.RequestsSeen(reference), Is.Zero, "the message was lost");
        using (var status = await channel.GetAsync($"/api/v1/transfer/{reference}"))
            await status.Error(HttpStatusCode.NotFound, "TRANSFER_NOT_FOUND");
        Assert.That(losing.Responder.BalanceOf(from), Is.EqualTo(1_000m));

        // The client does as told while the broker is still down: this retry never reaches a channel, but the first
        // request's fate is as unknown as before, so it is not "not started" and the claim stays.
        using (var whileDown = await channel.PostTransfer(body))
        {
            await AssertUnknownRetrySameReference(whileDown, reference);
            Assert.That(whileDown.Headers.GetValues("Idempotent-Replayed").Single(), Is.EqualTo("true"));
            Assert.That((await whileDown.Json()).GetProperty("error").GetProperty("message").GetString(), Does.Not.Contain("not started"));
            Assert.That(await losing.Redis.GetDatabase().KeyExistsAsync($"{losing.KeyPrefix}idem:{reference}"), Is.True, "the claim is kept");
        }

        // And again once the broker is back: a replay, published for real.
        using var retry = await channel.PostTransfer(body);
        var answer = await retry.Json();
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(retry.Headers.GetValues("Idempotent-Replayed").Single(), Is.EqualTo("true"));
            Assert.That(answer.GetProperty("new_balance").GetDecimal(), Is.EqualTo(700m));
            Assert.That(losing.Responder.RequestsSeen(reference), Is.EqualTo(1), "only the last retry reached the saga");
        });

        // Once more, as a channel unsure of the last answer would: the saga's final event again, no second debit.
        using (var again = await channel.PostTransfer(body))
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), await again.Content.ReadAsStringAsync());
        Assert.Multiple(() =>
        {
            Assert.That(losing.Responder.BalanceOf(from), Is.EqualTo(700m), "paid once");
            Assert.That(losing.Responder.BalanceOf(to), Is.EqualTo(300m));
        });
    }

    private static async Task AssertUnknownRetrySameReference(HttpResponseMessage response, string reference)
    {
        var error = await response.Error(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("unknown").And.Contain("same reference"));
            Assert.That(error.GetProperty("details").GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
            Assert.That(error.GetProperty("details").GetProperty("retry_same_reference").GetBoolean(), Is.True);
            Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(RetryAfterSeconds)));
            Assert.That(response.Headers.Location, Is.Null, "nothing to poll: the transfer may not exist");
        });
    }

    [Test]
    public async Task A_publish_the_broker_never_confirms_is_not_reported_as_not_started_though_the_saga_got_it()
    {
        // The real broker this time: a second queue bound to the transfers' exchange is full and refuses new messages,
        // so the broker never acks the publish, while the saga's queue takes the message. Before the fix this was
        // answered 503 "not started" with the claim released, and the money moved all the same.
        const string name = "sec-nack";
        await using var nacking = await GatewayHost.StartAsync(name);
        var from = nacking.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = nacking.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = "NAK" + Guid.NewGuid().ToString("N")[..20];
        var body = new { from_account = from, to_account = to, amount = 100.00m, currency = "CNY", reference };
        using var channel = nacking.ClientAs(Roles.Channel);

        var servers = await RealServers.GetAsync();
        var vhost = Uri.EscapeDataString($"{servers.RunId}-{name}".ToLowerInvariant());
        var exchange = Uri.EscapeDataString("Banking.Contracts.Transfers:TransferRequested");
        using (var management = servers.ManagementClient())
        {
            using var declare = await management.PutAsync($"api/queues/{vhost}/full-audit-copy", Json("""{"durable":false,"arguments":{"x-max-length":0,"x-overflow":"reject-publish"}}"""));
            Assert.That(declare.IsSuccessStatusCode, $"declaring the full queue: {declare.StatusCode}");
            using var bind = await management.PostAsync($"api/bindings/{vhost}/e/{exchange}/q/full-audit-copy", Json("""{"routing_key":""}"""));
            Assert.That(bind.IsSuccessStatusCode, $"binding it: {bind.StatusCode}");
        }

        using (var first = await channel.PostTransfer(body))
        {
            // Answered from the outcome, which comes while the gateway waits for the confirm; were it late, the answer
            // would be 503 "retry with the same reference", never 202.
            Assert.That(first.StatusCode, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable), await first.Content.ReadAsStringAsync());
            Assert.That(await nacking.Redis.GetDatabase().KeyExistsAsync($"{nacking.KeyPrefix}idem:{reference}"), Is.True, "the claim is kept");
        }

        await Eventually.HoldsAsync(() => nacking.Responder.BalanceOf(from) == 900m, "the queued transfer was carried out", TimeSpan.FromSeconds(10));

        using (var management = servers.ManagementClient())
            (await management.DeleteAsync($"api/queues/{vhost}/full-audit-copy")).Dispose();

        using var retried = await channel.PostTransfer(body);
        Assert.Multiple(() =>
        {
            Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(retried.Headers.GetValues("Idempotent-Replayed").Single(), Is.EqualTo("true"));
            Assert.That(nacking.Responder.BalanceOf(from), Is.EqualTo(900m), "paid once");
            Assert.That(nacking.Responder.BalanceOf(to), Is.EqualTo(100m));
        });
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    /// <summary>
    /// The broker gets the message but its confirm does not come back within the timeout, as with a broker under
    /// memory pressure or a slow disk: the real publish, then a wait that only the gateway's deadline ends.
    /// </summary>
    private sealed class ConfirmHeldPublisher(IBus bus) : TransferRequestPublisher(bus)
    {
        public override async Task PublishAsync(TransferRequested request, Action onChannel, CancellationToken cancellationToken)
        {
            await base.PublishAsync(request, onChannel, CancellationToken.None);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    /// <summary>
    /// The broker restarts while the first publish of each transfer waits for its confirm: the message was on the
    /// channel and is gone, and no confirm ever comes. The second finds no connection (it never reaches a channel); from
    /// the third on the broker is back and publishes go through. The shared broker itself is never restarted.
    /// </summary>
    private sealed class BrokerRestartingPublisher(IBus bus) : TransferRequestPublisher(bus)
    {
        private readonly ConcurrentDictionary<string, int> publishes = new(StringComparer.Ordinal);

        public override async Task PublishAsync(TransferRequested request, Action onChannel, CancellationToken cancellationToken)
        {
            switch (publishes.AddOrUpdate(request.TransferId, 1, (_, n) => n + 1))
            {
                case 1:
                    onChannel();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    break;
                case 2:
                    throw new RabbitMqConnectionException("the broker is restarting");
                default:
                    await base.PublishAsync(request, onChannel, cancellationToken);
                    break;
            }
        }
    }
}
