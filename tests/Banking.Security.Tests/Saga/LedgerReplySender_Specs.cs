using System.Globalization;
using System.Net;
using System.Text;
using Banking.Testing;
using RabbitMQ.Client;

namespace Banking.Security.Tests.Saga;

/// <summary>
/// Issue 19 (the mirror image of the ledgers' command sender rule): a broker login that may write to the saga's queue
/// but is not the credit ledger's must not complete a transfer. The intruder gets write permission on
/// <c>transfer-state</c> in this test's virtual host, so only the broker-validated <c>user_id</c> check stands in its way.
/// </summary>
[TestFixture]
public sealed class LedgerReplySender_Specs
{
    private const string Password = "reply-intruder-pass-for-this-run";
    private TransferPlatform platform = null!;
    private string intruder = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        // Its own platform: the credit ledger is stopped here, which the shared one must never see.
        // Four eyes above 100.00: the forged-approval spec moves more, the forged-reply spec less.
        platform = await TransferPlatform.StartAsync("sec-reply", new Dictionary<string, string> { ["Transfers__FourEyesThreshold"] = "100.00" });
        var vhost = Uri.UnescapeDataString(platform.Broker.AbsolutePath.TrimStart('/'));
        intruder = $"{platform.Servers.RunId}-reply-intruder";
        using var http = platform.Servers.ManagementClient();
        (await http.PutAsync($"api/users/{Uri.EscapeDataString(intruder)}", Json($$"""{"password":"{{Password}}","tags":""}"""))).EnsureSuccessStatusCode();
        (await http.PutAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(intruder)}",
            Json("""{"configure":"^$","write":"^transfer-state$","read":"^$"}"""))).EnsureSuccessStatusCode();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        using (var http = platform.Servers.ManagementClient())
        {
            var response = await http.DeleteAsync($"api/users/{Uri.EscapeDataString(intruder)}");
            if (response.StatusCode != HttpStatusCode.NotFound) response.EnsureSuccessStatusCode();
        }

        await platform.DisposeAsync();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Test]
    public async Task A_forged_credit_reply_from_another_login_does_not_complete_the_transfer_and_the_real_reply_does()
    {
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, 500m);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 100m);
        var transferId = SagaPlatform.NewTransferId("REPLY");
        await platform.Credit.StopAsync();
        var errorsBefore = await platform.QueueDepthAsync("transfer-state_error");

        await platform.SubmitAsync(transferId, from, to, 40m);
        await Eventually.HoldsAsync(async () => await StateAsync(transferId) == 1, "the transfer waiting in Crediting", TimeSpan.FromSeconds(30));

        await SendAsIntruderAsync(ForgedCredit(transferId, to, 40m));

        await Eventually.HoldsAsync(async () => await platform.QueueDepthAsync("transfer-state_error") == errorsBefore + 1,
            "the forged reply in transfer-state_error", TimeSpan.FromSeconds(30));
        var log = await File.ReadAllTextAsync(platform.Orchestrator.LogPath);
        Assert.Multiple(async () =>
        {
            Assert.That(await StateAsync(transferId), Is.EqualTo(1), "still Crediting and PENDING");
            Assert.That(await SagaPlatform.CountAsync(platform.Core, "SELECT COUNT(*) FROM transfer_event WHERE transfer_id = @p AND event_type = 'AccountCredited'", transferId), Is.Zero);
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(460m), "only the real debit moved");
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(100m), "nothing was paid in");
            Assert.That(log, Does.Contain("TransferSagaMessageSenderRefused").And.Contain(transferId), "the security event names the transfer");
        });

        // The credit ledger comes back, takes its waiting command and answers as its own login: that reply completes it.
        await platform.Credit.StartAsync();
        await Eventually.HoldsAsync(async () => await SagaPlatform.CountAsync(platform.Core,
                "SELECT COUNT(*) FROM transfer_log WHERE transfer_id = @p AND current_state = 'Completed' AND status = 'SUCCESS'", transferId) == 1,
            "the transfer completed by the real reply", TimeSpan.FromSeconds(60));
        Assert.Multiple(async () =>
        {
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(140m));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(460m));
        });
    }

    // Issue 17, point 4: the second pair of eyes is a message to the saga. A login that may write to the saga's queue
    // must not be able to approve an abort in another operator's name; without the sender rule this abort would run.
    [Test]
    public async Task A_forged_approval_from_another_login_does_not_carry_out_a_waiting_abort()
    {
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, 1_000m);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 0m);
        var transferId = SagaPlatform.NewTransferId("FOUREYES");
        await platform.Credit.StopAsync();
        try
        {
            await platform.SubmitAsync(transferId, from, to, 500m);
            await Eventually.HoldsAsync(async () => await StateAsync(transferId) == 1, "the transfer waiting in Crediting", TimeSpan.FromSeconds(30));

            using var alice = new HttpClient { BaseAddress = platform.Orchestrator.BaseAddress };
            alice.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestTokens.Issue("operator", "alice.operator"));
            var asked = await alice.PostAsync($"/api/v1/operator/transfers/{transferId}/abort", Json("""{"reason":"customer dispute"}"""));
            Assert.That(asked.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await asked.Content.ReadAsStringAsync());
            await Eventually.HoldsAsync(async () => await SagaPlatform.CountAsync(platform.Core,
                    "SELECT COUNT(*) FROM transfer_log WHERE transfer_id = @p AND pending_action = 'ABORT'", transferId) == 1,
                "the abort waiting for a second operator", TimeSpan.FromSeconds(30));
            var errorsBefore = await platform.QueueDepthAsync("transfer-state_error");

            await SendAsIntruderAsync(ForgedApproval(transferId));

            await Eventually.HoldsAsync(async () => await platform.QueueDepthAsync("transfer-state_error") == errorsBefore + 1,
                "the forged approval in transfer-state_error", TimeSpan.FromSeconds(30));
            var log = await File.ReadAllTextAsync(platform.Orchestrator.LogPath);
            Assert.Multiple(async () =>
            {
                Assert.That(await StateAsync(transferId), Is.EqualTo(1), "still Crediting: nothing was fenced");
                Assert.That(await SagaPlatform.CountAsync(platform.Core,
                    "SELECT COUNT(*) FROM transfer_log WHERE transfer_id = @p AND pending_action = 'ABORT' AND abort_approved_by IS NULL", transferId), Is.EqualTo(1));
                Assert.That(await SagaPlatform.CountAsync(platform.Core,
                    "SELECT COUNT(*) FROM transfer_event WHERE transfer_id = @p AND event_type = 'AbortApproved'", transferId), Is.Zero);
                Assert.That(log, Does.Contain("TransferSagaMessageSenderRefused").And.Contain(transferId), "the security event names the transfer");
            });
        }
        finally
        {
            await platform.Credit.StartAsync();
        }

        await Eventually.HoldsAsync(async () => await SagaPlatform.CountAsync(platform.Core,
                "SELECT COUNT(*) FROM transfer_log WHERE transfer_id = @p AND status = 'SUCCESS' AND pending_action IS NULL", transferId) == 1,
            "the transfer completed once the credit ledger was back, the waiting abort lapsed", TimeSpan.FromSeconds(60));
    }

    private static byte[] ForgedApproval(string transferId) => Encoding.UTF8.GetBytes($$$"""
        {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Banking.Contracts.Transfers:ApproveOperatorAction"],
         "message":{"transferId":"{{{transferId}}}","action":"ABORT","approvedBy":"bob.operator","reason":"forged"}}
        """);

    private Task<long> StateAsync(string transferId) => SagaPlatform.CountAsync(platform.Core,
        "SELECT COUNT(*) FROM transfer_log WHERE transfer_id = @p AND current_state = 'Crediting' AND status = 'PENDING'", transferId);

    private static byte[] ForgedCredit(string transferId, string accountNo, decimal amount) => Encoding.UTF8.GetBytes($$$"""
        {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Banking.Contracts.Ledger:AccountCredited"],
         "message":{"transferId":"{{{transferId}}}","accountNo":"{{{accountNo}}}","amount":{{{amount.ToString(CultureInfo.InvariantCulture)}}},"currency":"CNY",
                    "balanceBefore":100.00,"balanceAfter":{{{(100m + amount).ToString(CultureInfo.InvariantCulture)}}},"appliedAtUtc":"{{{DateTime.UtcNow:O}}}"}}
        """);

    private async Task SendAsIntruderAsync(byte[] body)
    {
        var broker = new UriBuilder(platform.Broker) { UserName = Uri.EscapeDataString(intruder), Password = Password }.Uri;
        await using var connection = await new ConnectionFactory { Uri = broker }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties
        {
            ContentType = "application/vnd.masstransit+json",
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = Guid.NewGuid().ToString(),
            UserId = intruder,
        };
        await channel.BasicPublishAsync("transfer-state", "", mandatory: true, properties, body);
    }
}
