using System.Globalization;
using System.Net;
using System.Text;
using Banking.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Banking.Security.Tests.Saga;

/// <summary>
/// Issue 15, item 1 (defence in depth): a broker login that may write to the credit ledger's queue but is not the
/// orchestrator's must not move money. Only the broker-validated <c>user_id</c> check stands between this intruder and
/// the ledger here: it gets write permission on <c>credit-ledger</c> in the test's virtual host.
/// </summary>
[TestFixture]
public sealed class LedgerCommandSender_Specs
{
    private const string Password = "intruder-pass-for-this-run";
    private TransferPlatform platform = null!;
    private string intruder = null!;
    private string vhost = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        platform = await SagaPlatform.GetAsync();
        vhost = Uri.UnescapeDataString(platform.Broker.AbsolutePath.TrimStart('/'));
        intruder = $"{platform.Servers.RunId}-intruder";
        using var http = platform.Servers.ManagementClient();
        (await http.PutAsync($"api/users/{Uri.EscapeDataString(intruder)}",
            Json($$"""{"password":"{{Password}}","tags":""}"""))).EnsureSuccessStatusCode();
        (await http.PutAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(intruder)}",
            Json("""{"configure":"^$","write":"^(credit-ledger|transfer-requests)$","read":"^$"}"""))).EnsureSuccessStatusCode();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        using var http = platform.Servers.ManagementClient();
        var response = await http.DeleteAsync($"api/users/{Uri.EscapeDataString(intruder)}");
        if (response.StatusCode != HttpStatusCode.NotFound) response.EnsureSuccessStatusCode();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private Uri IntruderBroker => new UriBuilder(platform.Broker) { UserName = Uri.EscapeDataString(intruder), Password = Password }.Uri;

    private static byte[] CreditAccount(string transferId, string accountNo, decimal amount) => Encoding.UTF8.GetBytes($$$"""
        {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Banking.Contracts.Ledger:CreditAccount"],
         "message":{"transferId":"{{{transferId}}}","accountNo":"{{{accountNo}}}","amount":{{{amount.ToString(CultureInfo.InvariantCulture)}}},"currency":"CNY"}}
        """);

    private async Task SendAsIntruderAsync(byte[] body, string? userId, string exchange = "credit-ledger", string contentType = "application/vnd.masstransit+json", bool withMessageId = true)
    {
        await using var connection = await new ConnectionFactory { Uri = IntruderBroker }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = contentType, DeliveryMode = DeliveryModes.Persistent };
        if (withMessageId) properties.MessageId = Guid.NewGuid().ToString();
        if (userId is not null) properties.UserId = userId;
        await channel.BasicPublishAsync(exchange, "", mandatory: true, properties, body);
    }

    [TestCase(true, TestName = "A_credit_command_from_another_login_with_its_own_user_id_is_refused_into_the_error_queue")]
    [TestCase(false, TestName = "A_credit_command_from_another_login_without_a_user_id_is_refused_into_the_error_queue")]
    public async Task A_credit_command_from_another_login_is_refused(bool withUserId)
    {
        var account = await SagaPlatform.OpenAccountAsync(platform, 2, 100m);
        var transferId = SagaPlatform.NewTransferId("FORGED");
        var errorsBefore = await platform.QueueDepthAsync("credit-ledger_error");

        await SendAsIntruderAsync(CreditAccount(transferId, account, 5_000m), withUserId ? intruder : null);

        await Eventually.HoldsAsync(async () => await platform.QueueDepthAsync("credit-ledger_error") == errorsBefore + 1,
            "the forged command in credit-ledger_error", TimeSpan.FromSeconds(30));
        var log = await File.ReadAllTextAsync(platform.Credit.LogPath);
        Assert.Multiple(async () =>
        {
            Assert.That(await platform.BalanceAsync(2, account), Is.EqualTo(100m), "no money was paid in");
            Assert.That(await platform.HistoryAsync(2, transferId), Is.Empty, "no ledger row");
            Assert.That(await SagaPlatform.CountAsync(platform.Db2, "SELECT COUNT(*) FROM ledger_operation WHERE transfer_id = @p", transferId), Is.Zero);
            Assert.That(log, Does.Contain("LedgerCommandSenderRefused").And.Contain(transferId), "the security event is logged with the transfer it names");
        });
    }

    [Test]
    public async Task A_faulted_message_from_another_login_reaches_the_error_queue_instead_of_being_redelivered_for_ever()
    {
        // MassTransit's own move to _error copies user_id, which the broker refuses from the orchestrator's connection.
        var errorsBefore = await platform.QueueDepthAsync("transfer-requests_error");

        await SendAsIntruderAsync(Encoding.UTF8.GetBytes("""{"transfer_id":"NO-MESSAGE-ID","amount":1.00}"""), intruder,
            exchange: "transfer-requests", contentType: "application/json", withMessageId: false);

        await Eventually.HoldsAsync(async () => await platform.QueueDepthAsync("transfer-requests_error") == errorsBefore + 1,
            "the refused request in transfer-requests_error", TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task The_broker_refuses_a_user_id_that_is_not_the_connections_login()
    {
        var account = await SagaPlatform.OpenAccountAsync(platform, 2, 100m);
        var transferId = SagaPlatform.NewTransferId("FORGED");

        // Claiming the orchestrator's login from another connection is what RabbitMQ itself stops (PRECONDITION_FAILED).
        Assert.That(async () => await SendAsIntruderAsync(CreditAccount(transferId, account, 5_000m), platform.BrokerUser),
            Throws.InstanceOf<OperationInterruptedException>().Or.InstanceOf<AlreadyClosedException>()
                .Or.InstanceOf<PublishException>());

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.That(await platform.BalanceAsync(2, account), Is.EqualTo(100m));
    }

    [Test]
    public async Task A_credit_command_from_the_configured_sender_is_applied()
    {
        var account = await SagaPlatform.OpenAccountAsync(platform, 2, 100m);
        var transferId = SagaPlatform.NewTransferId("SENDER");

        await platform.SendCreditAccountAsync(transferId, account, 25m);

        await Eventually.HoldsAsync(async () => await platform.BalanceAsync(2, account) == 125m, "the credit from the orchestrator's login", TimeSpan.FromSeconds(30));
        Assert.That(await platform.HistoryAsync(2, transferId), Has.Count.EqualTo(1));
    }
}
