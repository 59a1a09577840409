using Banking.Testing;

namespace Banking.Security.Tests.Saga;

/// <summary>
/// Issue 15, item 18: a long upstream <c>requested_by</c> went untruncated into VARCHAR(100); under strict mode the
/// saga insert failed, was retried and ended in the error queue with no outcome at all. Free text from outside is
/// now bounded at the edge and such a request is answered with a FAILED transfer and TransferFailed.
/// </summary>
[TestFixture]
public sealed class UpstreamFreeText_Specs : SagaPlatformSpecs
{
    [Test]
    public async Task A_requested_by_longer_than_its_column_gets_a_FAILED_transfer_and_an_answer_not_silence()
    {
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, 1_000m);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 0m);
        var transferId = SagaPlatform.NewTransferId("TEXT");
        var errorsBefore = await platform.QueueDepthAsync("transfer-state_error");
        var requestedBy = new string('x', 300);

        await platform.PublishRawAsync(
            $$"""{"transfer_id":"{{transferId}}","from_account":"{{from}}","to_account":"{{to}}","amount":10.00,"currency":"CNY","description":"long name","requested_by":"{{requestedBy}}"}""",
            Guid.NewGuid());

        var transfer = await platform.WaitForFinalAsync(transferId, TimeSpan.FromSeconds(30));
        var (_, failed) = await outcomes.WaitForAsync(transferId, "TransferFailed");
        Assert.Multiple(async () =>
        {
            Assert.That(transfer.Status, Is.EqualTo("FAILED"));
            Assert.That(transfer.ReasonCode, Is.EqualTo("VALIDATION_ERROR"));
            Assert.That(failed.GetProperty("reason").GetString(), Does.Contain("requested_by"));
            Assert.That(await platform.QueueDepthAsync("transfer-state_error"), Is.EqualTo(errorsBefore), "nothing ended in the saga's error queue");
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(1_000m));
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(0m));
        });
    }

    [Test]
    public async Task Overlong_accounts_currency_and_description_are_refused_and_still_stored()
    {
        var transferId = SagaPlatform.NewTransferId("TEXT");

        await platform.PublishRawAsync(
            $$"""{"transfer_id":"{{transferId}}","from_account":"{{new string('1', 80)}}","to_account":"{{new string('2', 80)}}","amount":10.00,"currency":"{{new string('C', 20)}}","description":"{{new string('d', 2000)}}","requested_by":"core-batch"}""",
            Guid.NewGuid());

        var transfer = await platform.WaitForFinalAsync(transferId, TimeSpan.FromSeconds(30));
        await outcomes.WaitForAsync(transferId, "TransferFailed");
        Assert.That((transfer.Status, transfer.ReasonCode), Is.EqualTo(("FAILED", "VALIDATION_ERROR")));
    }
}
