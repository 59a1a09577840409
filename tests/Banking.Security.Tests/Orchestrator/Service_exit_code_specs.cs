using Banking.Testing;

namespace Banking.Security.Tests.Orchestrator;

/// <summary>
/// Issue 15, item 16: the outbox watchdog stops a service whose outbox step stalled and sets exit code 75 so that
/// the supervisor (systemd's Restart=on-failure, as the README recommends) restarts it; Program.cs's <c>return 0</c>
/// overwrote it and the wedged service stayed down. Seen from the parent, as a supervisor sees it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Service_exit_code_specs
{
    [Test]
    public async Task An_orchestrator_whose_broker_stops_answering_exits_with_75_for_the_supervisor_to_restart_it()
    {
        var servers = await RealServers.GetAsync();
        await using var proxy = new FreezableBrokerProxy(servers.RabbitMq);
        await using var orchestrator = await LoneOrchestrator.StartAsync("sec_exit", "Production", new Dictionary<string, string>
        {
            ["Messaging__Outbox__StallTimeout"] = "00:00:03",
            ["Messaging__Outbox__StopGrace"] = "00:00:40",
        }, brokerAddress: proxy.Through);
        var id = await orchestrator.InFlightTransferAsync("sec-exit");
        var attempt = await orchestrator.CountAsync("SELECT step_attempt FROM transfer_log WHERE transfer_id = @id", id);
        var deadline = await orchestrator.StepDeadlineAsync(id);

        // From now on the service's frames (publishes, confirms' requests, acks) no longer get through; the broker
        // still delivers to it. The step's deadline passes (the sweeper's timeout, as it would publish it: step,
        // attempt and deadline all current, or the saga ignores it): the saga re-sends the debit through its outbox,
        // whose confirmed send then waits on a broker that never answers.
        proxy.FreezeServiceToBroker();
        await orchestrator.PublishAsync("transfer-state", $$$"""
            {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Banking.Contracts.Transfers:TransferStepTimedOut"],
             "message":{"transferId":"{{{id}}}","step":"Debiting","attempt":{{{attempt}}},"deadlineUtc":"{{{deadline:O}}}"}}
            """, messageId: null, contentType: "application/vnd.masstransit+json");

        await Eventually.HoldsAsync(() => orchestrator.Process.ExitCode is not null, "the wedged orchestrator ended", within: TimeSpan.FromSeconds(90));
        Assert.Multiple(async () =>
        {
            Assert.That(orchestrator.Process.ExitCode, Is.EqualTo(75), $"EX_TEMPFAIL reaches the parent; see {orchestrator.Process.LogPath}");
            Assert.That(orchestrator.Process.ExitedOnItsOwn, Is.EqualTo(75), "the service stopped itself, the spec did not stop it");
            Assert.That(await File.ReadAllTextAsync(orchestrator.Process.LogPath), Does.Contain("neither finished nor failed"), "the watchdog is why");
        });
    }

    [Test]
    public async Task A_service_stopped_by_its_supervisor_exits_with_0()
    {
        await using var orchestrator = await LoneOrchestrator.StartAsync("sec_exit_ok", "Production");
        await orchestrator.Process.StopAsync();
        Assert.That(orchestrator.Process.ExitCode, Is.EqualTo(0), "SIGTERM is an orderly stop, not a failure");
    }

    [Test]
    public async Task A_service_that_cannot_start_exits_with_a_failure_code()
    {
        // A signing key too short for HS256 fails the options validation at start.
        await using var orchestrator = await LoneOrchestrator.StartAsync("sec_exit_bad", "Production",
            new Dictionary<string, string> { ["Jwt__SigningKey"] = "too-short" }, waitUntilReady: false);
        Assert.That(async () => await orchestrator.Process.StartAsync(TimeSpan.FromSeconds(60)), Throws.InvalidOperationException.With.Message.Contains("exited with code"));
        Assert.That(orchestrator.Process.ExitCode, Is.Not.Null.And.Not.Zero);
    }
}
