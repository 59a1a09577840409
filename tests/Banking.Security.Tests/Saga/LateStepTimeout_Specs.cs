using Banking.Testing;

namespace Banking.Security.Tests.Saga;

/// <summary>
/// Issue 15, item 19: a late timeout of an earlier step re-sent the next step early, because the saga compared only
/// the attempt number and every step starts again at attempt 1. Here the debit's timeout (attempt 1) arrives while the
/// credit (also attempt 1) is waiting on a stopped CreditService: it must change nothing.
/// </summary>
[TestFixture]
public sealed class LateStepTimeout_Specs
{
    private TransferPlatform platform = null!;

    // Long step timeouts: the sweeper must not send anything of its own while the spec looks.
    [OneTimeSetUp]
    public async Task Start() => platform = await TransferPlatform.StartAsync("sec-timeout", new Dictionary<string, string>
    {
        ["Transfers__StepTimeout"] = "00:05:00",
        ["Transfers__MaxBackoff"] = "00:10:00",
    });

    [OneTimeTearDown]
    public async Task Stop() => await platform.DisposeAsync();

    private async Task<uint> ReadyAsync(string queue)
    {
        await using var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = platform.Broker }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await channel.MessageCountAsync(queue);
    }

    private Task<long> CreditAttemptsAsync(string transferId) =>
        SagaPlatform.CountAsync(platform.Core, "SELECT credit_attempts FROM transfer_log WHERE transfer_id = @p", transferId);

    [Test]
    public async Task A_late_timeout_of_the_debit_does_not_resend_the_credit()
    {
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, 1_000m);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 0m);
        var transferId = SagaPlatform.NewTransferId("LATE");
        await platform.Credit.StopAsync();
        try
        {
            var debitSentAt = DateTime.UtcNow;
            await platform.SubmitAsync(transferId, from, to, 100m);
            await platform.WaitForStateAsync(transferId, "Crediting");

            await platform.PublishRawEnvelopeAsync($$$"""
                {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Banking.Contracts.Transfers:TransferStepTimedOut"],
                 "message":{"transferId":"{{{transferId}}}","step":"Debiting","attempt":1,"deadlineUtc":"{{{debitSentAt.AddMinutes(5):O}}}"}}
                """, "transfer-state");

            // The broker's own count (not the management API's sampled statistics); then time for the saga to act on it.
            await Eventually.HoldsAsync(async () => await ReadyAsync("transfer-state") == 0, "the saga took the timeout", TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Multiple(async () =>
            {
                Assert.That(await CreditAttemptsAsync(transferId), Is.EqualTo(1), "the credit was sent once");
                Assert.That((await platform.TimelineAsync(transferId)).Select(e => e.EventType), Does.Not.Contain("StepResent"));
                Assert.That(await ReadyAsync("credit-ledger"), Is.EqualTo(1), "one CreditAccount waits for CreditService");
            });
        }
        finally
        {
            await platform.Credit.StartAsync();
        }

        var transfer = await platform.WaitForFinalAsync(transferId);
        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("SUCCESS"));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(100m));
        });
    }
}
