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
/// under a new reference paid twice.
/// </summary>
public sealed class Unconfirmed_publish_specs
{
    private const int PublishTimeoutMs = 500;

    private GatewayHost gateway = null!;

    [OneTimeSetUp]
    public async Task Start() => gateway = await GatewayHost.StartAsync("sec-held-confirm", new Dictionary<string, string?>
    {
        ["Gateway:PublishTimeoutMs"] = PublishTimeoutMs.ToString(),
        ["Gateway:SyncWaitMs"] = "500",
    }, services => services.AddSingleton<TransferRequestPublisher, ConfirmHeldPublisher>());

    [OneTimeTearDown]
    public async Task Stop() => await gateway.DisposeAsync();

    [Test]
    public async Task A_publish_whose_confirm_is_held_past_the_timeout_is_202_poll_with_the_claim_kept_and_a_retry_pays_nothing_more()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        gateway.Responder.DelayTransfersFrom(from, TimeSpan.FromSeconds(4));
        var reference = "UNC" + Guid.NewGuid().ToString("N")[..20];
        var body = new { from_account = from, to_account = to, amount = 250.00m, currency = "CNY", reference };
        using var channel = gateway.ClientAs(Roles.Channel);

        using var first = await channel.PostTransfer(body);

        var answer = await first.Json();
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), answer.ToString());
        Assert.Multiple(async () =>
        {
            Assert.That(first.Headers.Location?.ToString(), Is.EqualTo($"/api/v1/transfer/{reference}"));
            Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("PENDING"));
            Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}idem:{reference}"), Is.True, "the claim is kept");
        });

        // The message was queued all along.
        await Eventually.HoldsAsync(() => gateway.Responder.RequestsSeen(reference) == 1, "the saga got the transfer", TimeSpan.FromSeconds(10));

        // The client retries the same reference: it is told to keep polling. The retry is published again (the gateway no
        // longer asks the orchestrator first); the saga, with the transfer in flight, does nothing with it.
        using (var retry = await channel.PostTransfer(body))
        {
            Assert.That(retry.StatusCode, Is.AnyOf(HttpStatusCode.Accepted, HttpStatusCode.OK), await retry.Content.ReadAsStringAsync());
            Assert.That(retry.Headers.GetValues("Idempotent-Replayed").Single(), Is.EqualTo("true"));
        }

        using (var otherBody = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 999.00m, currency = "CNY", reference }))
            await otherBody.Error(HttpStatusCode.Conflict, "DUPLICATE_REFERENCE");

        await Eventually.HoldsAsync(async () =>
        {
            using var status = await channel.GetAsync($"/api/v1/transfer/{reference}");
            return status.StatusCode == HttpStatusCode.OK && (await status.Json()).GetProperty("status").GetString() == "SUCCESS";
        }, "the polled transfer completes", TimeSpan.FromSeconds(20));

        Assert.Multiple(() =>
        {
            Assert.That(gateway.Responder.RequestsSeen(reference), Is.EqualTo(2), "the first request and its retry");
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(750m), "paid once");
            Assert.That(gateway.Responder.BalanceOf(to), Is.EqualTo(250m));
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
            Assert.That(first.StatusCode, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Accepted), await first.Content.ReadAsStringAsync());
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
}
