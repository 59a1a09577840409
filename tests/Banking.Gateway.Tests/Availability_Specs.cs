using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Banking.Gateway.Apis;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Gateway.Tests;

/// <summary>
/// When the broker cannot be reached a transfer is refused with 503 SERVICE_UNAVAILABLE and nothing is
/// half-started: no idempotency claim is left behind and the saga never hears of it, so the same request
/// goes through once the broker is back. An unexpected fault is 500 INTERNAL_ERROR and tells nothing of
/// the gateway's insides. The shared RabbitMQ server is never stopped: one gateway is pointed at a port
/// where nothing listens, another loses its virtual host.
/// </summary>
public sealed class Availability_Specs
{
    private static string Reference() => "U" + Guid.NewGuid().ToString("N")[..20];

    private static object TransferBody(string reference) => new
    {
        from_account = "6230399991006371427", to_account = "6230399991006371428", amount = 10.00m, currency = "CNY", reference,
    };

    [Test]
    public async Task Without_a_broker_a_transfer_is_503_and_nothing_is_claimed()
    {
        var closedPort = ServiceProcess.FreePort();
        await using var gateway = await GatewayHost.StartAsync("gw-nobroker", new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = $"amqp://banking:banking@127.0.0.1:{closedPort}/gw",
        }, withResponder: false);
        using var channel = gateway.ClientAs(Roles.Channel);

        var reference = Reference();
        var clock = Stopwatch.StartNew();
        using var response = await channel.PostTransfer(TransferBody(reference));
        clock.Stop();

        var error = await response.Error(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        var claimLeft = await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}idem:{reference}");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("details").GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("not started"));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)), "Gateway:PublishTimeoutMs (3 s) bounds the wait");
            Assert.That(claimLeft, Is.False, "the claim was released, so a retry is not taken for a replay of a transfer that never started");
        });

        using var ready = await gateway.Client().GetAsync("/health/ready");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "readiness tells the load balancer");
    }

    [Test]
    public async Task Without_a_broker_status_and_balance_queries_are_503()
    {
        var closedPort = ServiceProcess.FreePort();
        await using var gateway = await GatewayHost.StartAsync("gw-nobroker-q", new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = $"amqp://banking:banking@127.0.0.1:{closedPort}/gw",
        }, withResponder: false);
        using var channel = gateway.ClientAs(Roles.Channel);

        using (var status = await channel.GetAsync($"/api/v1/transfer/{Reference()}"))
            await status.Error(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        using (var balance = await channel.GetAsync("/api/v1/account/6230399991006371427/balance"))
            await balance.Error(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
    }

    [Test]
    public async Task A_transfer_refused_while_the_virtual_host_was_gone_goes_through_once_when_it_is_back()
    {
        const string name = "gw-vhost-lost";
        await using var gateway = await GatewayHost.StartAsync(name);
        using var channel = gateway.ClientAs(Roles.Channel);
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var body = new { from_account = from, to_account = to, amount = 100.00m, currency = "CNY", reference = Reference() };

        // The broker drops every connection to a deleted virtual host: for the gateway the broker is gone.
        var servers = await RealServers.GetAsync();
        using (var management = servers.ManagementClient())
        {
            using var deleted = await management.DeleteAsync($"api/vhosts/{Uri.EscapeDataString($"{servers.RunId}-{name}".ToLowerInvariant())}");
            Assert.That(deleted.IsSuccessStatusCode, Is.True, $"deleting the virtual host: {deleted.StatusCode}");
        }

        using (var refused = await channel.PostTransfer(body))
            await refused.Error(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.That(await gateway.Redis.GetDatabase().KeyExistsAsync($"{gateway.KeyPrefix}idem:{body.reference}"), Is.False);

        // Same name, same permissions: the gateway and the responder reconnect on their own.
        await servers.CreateVirtualHostAsync(name);
        await gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        await gateway.Responder.WaitUntilListeningAsync(TimeSpan.FromSeconds(60));

        using var retried = await channel.PostTransfer(body);
        var answer = await retried.Json();
        Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(retried.Headers.Contains(TransferHeaders.IdempotentReplayed), Is.False, "the refused attempt left no claim to replay");
            Assert.That(gateway.Responder.RequestsSeen(body.reference), Is.EqualTo(1), "the refused attempt never reached the saga");
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(900m));
            Assert.That(gateway.Responder.BalanceOf(to), Is.EqualTo(100m));
        });
    }

    [Test]
    public async Task An_unexpected_fault_is_500_INTERNAL_ERROR_without_internals()
    {
        // A fault nobody planned for, in the real pipeline: writing the balance body throws.
        await using var gateway = await GatewayHost.StartAsync("gw-fault", services: services =>
            services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new ExplodingBalanceConverter())));
        using var channel = gateway.ClientAs(Roles.Channel);
        var accountNo = gateway.Responder.AddAccount(Ledger.Debit, 10m);

        using var response = await channel.GetAsync($"/api/v1/account/{accountNo}/balance");
        var text = await response.Content.ReadAsStringAsync();
        var error = await response.Error(HttpStatusCode.InternalServerError, "INTERNAL_ERROR");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("details").EnumerateObject(), Is.Empty);
            Assert.That(text, Does.Not.Contain(ExplodingBalanceConverter.Secret), "the exception's message");
            Assert.That(text, Does.Not.Contain("Exception").And.Not.Contain("Banking.Gateway").And.Not.Contain(" at "), "type names or a stack trace");
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("trace_id"), "the caller is told what to quote");
        });
    }

    /// <summary>Throws with a message an attacker would love to read.</summary>
    private sealed class ExplodingBalanceConverter : JsonConverter<AccountBalanceResponse>
    {
        public const string Secret = "Server=db1.internal;Password=hunter2";

        public override AccountBalanceResponse Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, AccountBalanceResponse value, JsonSerializerOptions options) =>
            throw new InvalidOperationException($"could not read the balance: {Secret}");
    }
}
