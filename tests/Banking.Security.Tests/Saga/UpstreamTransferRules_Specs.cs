using Banking.Testing;

namespace Banking.Security.Tests.Saga;

/// <summary>
/// Issue 15, item 5: the upstream path (plain JSON on <c>transfer-requests</c>) skipped the gateway's rules. Each
/// request here reached the ledger before; now the saga refuses it with the gateway's reason code, records a FAILED
/// transfer and tells the sender with TransferFailed, and no ledger sees a thing.
/// </summary>
[TestFixture]
public sealed class UpstreamTransferRules_Specs : SagaPlatformSpecs
{
    private static string Body(string transferId, string from, string to, string amountJson, string currency = "CNY") =>
        $$"""{"transfer_id":"{{transferId}}","from_account":"{{from}}","to_account":"{{to}}","amount":{{amountJson}},"currency":"{{currency}}","description":"upstream rules","requested_by":"core-batch"}""";

    private async Task RefusedAsync(string amountJson, string reasonCode, string currency = "CNY", string contentType = "application/json", decimal sourceBalance = 2_000_000m)
    {
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, sourceBalance, currency);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 0m, currency);
        var transferId = SagaPlatform.NewTransferId("RULES");

        await platform.PublishRawAsync(Body(transferId, from, to, amountJson, currency), Guid.NewGuid(), contentType: contentType);

        var transfer = await platform.WaitForFinalAsync(transferId, TimeSpan.FromSeconds(30));
        var (_, failed) = await outcomes.WaitForAsync(transferId, "TransferFailed");
        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("FAILED"));
            Assert.That(transfer.ReasonCode, Is.EqualTo(reasonCode));
            Assert.That(failed.GetProperty("reasonCode").GetString(), Is.EqualTo(reasonCode), "the sender is told why");
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(sourceBalance), "nothing left the source");
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(0m), "nothing reached the destination");
            Assert.That(await platform.HistoryAsync(1, transferId), Is.Empty);
            Assert.That(await SagaPlatform.CountAsync(platform.Db1, "SELECT COUNT(*) FROM ledger_operation WHERE transfer_id = @p", transferId), Is.Zero,
                "the debit ledger never saw the transfer");
        });
    }

    [Test]
    public Task An_amount_above_the_per_transfer_limit_is_refused_as_LIMIT_EXCEEDED() =>
        RefusedAsync("1000000.01", "LIMIT_EXCEEDED");

    [Test]
    public Task A_currency_the_platform_does_not_serve_is_refused() =>
        RefusedAsync("10.00", "VALIDATION_ERROR", currency: "JPY");

    [Test]
    public Task An_amount_sent_as_a_string_is_refused() =>
        RefusedAsync("\"0.01\"", "VALIDATION_ERROR");

    [Test]
    public Task An_amount_with_30_decimals_is_refused_not_rounded() =>
        RefusedAsync("0.010000000000000000000000000001", "VALIDATION_ERROR");

    [TestCase("text/plain")]
    [TestCase("application/xml")]
    public Task A_request_that_is_not_sent_as_JSON_is_refused(string contentType) =>
        RefusedAsync("10.00", "VALIDATION_ERROR", contentType: contentType);

    [Test]
    public async Task A_request_without_a_usable_transfer_id_goes_to_the_error_queue()
    {
        var before = await platform.QueueDepthAsync("transfer-requests_error");

        await platform.PublishRawAsync("<transfer><amount>10.00</amount></transfer>", Guid.NewGuid(), contentType: "application/xml");

        await Eventually.HoldsAsync(async () => await platform.QueueDepthAsync("transfer-requests_error") == before + 1,
            "the unreadable request in transfer-requests_error", TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task A_valid_request_at_the_limit_still_moves_money()
    {
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, 2_000_000m);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 0m);
        var transferId = SagaPlatform.NewTransferId("RULES");

        await platform.PublishRawAsync(Body(transferId, from, to, "1000000.00"), Guid.NewGuid());

        var transfer = await platform.WaitForFinalAsync(transferId, TimeSpan.FromSeconds(30));
        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("SUCCESS"));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(1_000_000.00m));
        });
    }
}
