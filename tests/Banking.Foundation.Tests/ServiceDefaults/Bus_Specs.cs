using System.Net;
using System.Net.Sockets;
using Banking.ServiceDefaults;
using Banking.Testing;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Banking.Foundation.Tests.ServiceDefaults;

public class Bus_Specs
{
    [Test]
    public async Task The_bus_connects_to_the_broker_named_by_the_amqp_uri_and_is_part_of_readiness()
    {
        var servers = await RealServers.GetAsync();
        var broker = await servers.CreateVirtualHostAsync("service-defaults");
        await using var app = await StartAsync(broker.ToString());

        var (status, body) = await app.GetUntilAsync("/health/ready", (s, _) => s == 200, TimeSpan.FromSeconds(20));

        Assert.That(status, Is.EqualTo(200), body);
        Assert.That(Health_Specs.Checks(body), Does.ContainKey("masstransit-bus").WithValue("Healthy"));
    }

    [Test]
    public async Task Ready_is_not_healthy_while_the_broker_cannot_be_reached()
    {
        await using var app = await StartAsync($"amqp://banking:banking@127.0.0.1:{UnusedPort()}/banking");

        // Give the bus time to try (and fail) to connect, so the answer is about the broker and not about start-up.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var (status, body) = await app.GetUntilAsync("/health/ready", (s, _) => s == 200, TimeSpan.FromSeconds(1));

        Assert.That(status, Is.EqualTo(503), body);
        Assert.That(Health_Specs.Checks(body), Does.ContainKey("masstransit-bus"));
        Assert.That(Health_Specs.Checks(body)["masstransit-bus"], Is.Not.EqualTo("Healthy"));
        Assert.That((await app.GetUntilAsync("/health/live", (s, _) => true, TimeSpan.Zero)).Status, Is.EqualTo(200));
    }

    [Test]
    public async Task Usage_telemetry_is_off_for_every_bus()
    {
        await using var app = await StartAsync($"amqp://banking:banking@127.0.0.1:{UnusedPort()}/banking");

        Assert.Multiple(() =>
        {
            Assert.That(app.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled, Is.False);
            Assert.That(Environment.GetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY"), Is.EqualTo("false"));
        });
    }

    [Test]
    public async Task What_a_consume_logs_carries_the_transfer_id_of_its_message_and_the_trace_id_of_its_span()
    {
        var servers = await RealServers.GetAsync();
        var broker = await servers.CreateVirtualHostAsync("service-defaults-transfer-log");
        var log = new CapturedLog();
        var app = await TestApp.StartAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = broker.ToString() },
            builder => builder.AddBankingBus(bus => bus.AddConsumer<LoggingConsumer>()),
            log);
        await app.GetUntilAsync("/health/ready", (s, _) => s == 200, TimeSpan.FromSeconds(20));

        await app.Services.GetRequiredService<IBus>().Publish(new TransferMessageForLogs { TransferId = "T-LOGGED-0001" });
        await LoggingConsumer.Consumed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await app.StopAsync();
        await app.DisposeAsync();

        var line = log.Lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("@m").GetString() == "consumed the message");
        Assert.Multiple(() =>
        {
            Assert.That(line.TryGetProperty("transfer_id", out var transferId) ? transferId.GetString() : null, Is.EqualTo("T-LOGGED-0001"), line.ToString());
            Assert.That(line.TryGetProperty("trace_id", out var traceId) ? traceId.GetString() : null, Is.EqualTo(LoggingConsumer.TraceId), line.ToString());
        });
    }

    [Test]
    public void A_bus_without_a_broker_address_stops_the_service_at_start()
    {
        var failure = Assert.CatchAsync(async () =>
        {
            await using var app = await TestApp.StartAsync(configure: builder => builder.AddBankingBus(_ => { }));
        });
        Assert.That(failure!.Message, Does.Contain("ConnectionStrings:RabbitMq is not set"));
    }

    private static Task<WebApplication> StartAsync(string rabbitMq) =>
        TestApp.StartAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = rabbitMq },
            builder => builder.AddBankingBus(_ => { }));

    public sealed record TransferMessageForLogs
    {
        public required string TransferId { get; init; }
    }

    public sealed class LoggingConsumer(ILogger<LoggingConsumer> logger) : IConsumer<TransferMessageForLogs>
    {
        public static readonly TaskCompletionSource Consumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public static string? TraceId { get; private set; }

        public Task Consume(ConsumeContext<TransferMessageForLogs> context)
        {
            TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString();
            logger.LogInformation("consumed the message");
            Consumed.TrySetResult();
            return Task.CompletedTask;
        }
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
