using Banking.Testing;

namespace Banking.Security.Tests.Saga;

/// <summary>
/// Issue 15, item 6: a reused transfer id with other content was dropped without a word and the original outcome
/// published again, so the sender of the second request believed it had been carried out. Now it is answered as a
/// conflict on its own contract (TransferRequestConflicted, DUPLICATE_REFERENCE), recorded in the timeline, and the
/// transfer that owns the id is untouched and not re-announced.
/// </summary>
[TestFixture]
public sealed class ReusedTransferId_Specs : SagaPlatformSpecs
{
    [Test]
    public async Task A_reused_transfer_id_with_another_amount_is_refused_as_DUPLICATE_REFERENCE_and_moves_nothing()
    {
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, 1_000m);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 0m);
        var transferId = SagaPlatform.NewTransferId("REUSE");
        await platform.SubmitAsync(transferId, from, to, 100m);
        Assert.That((await platform.WaitForFinalAsync(transferId)).Status, Is.EqualTo("SUCCESS"));
        await outcomes.WaitForAsync(transferId, "TransferCompleted");

        var conflicting = Guid.NewGuid();
        await platform.SubmitAsync(transferId, from, to, 900m, messageId: conflicting);

        var (_, conflict) = await outcomes.WaitForAsync(transferId, "TransferRequestConflicted");
        var timeline = await platform.TimelineAsync(transferId);
        var answers = await outcomes.ForAsync(transferId);
        Assert.Multiple(async () =>
        {
            Assert.That(conflict.GetProperty("reasonCode").GetString(), Is.EqualTo("DUPLICATE_REFERENCE"));
            Assert.That(conflict.GetProperty("conflictingMessageId").GetGuid(), Is.EqualTo(conflicting), "the refusal names the refused request");
            Assert.That(answers.Count(a => a.Type == "TransferCompleted"), Is.EqualTo(1), "the original outcome is not re-announced for someone else's request");
            Assert.That(answers.Any(a => a.Type == "TransferFailed"), Is.False, "nothing says the original transfer failed");
            Assert.That(timeline.Select(e => e.EventType), Does.Contain("ConflictingRequest"));
            Assert.That((await platform.TransferAsync(transferId))!.Status, Is.EqualTo("SUCCESS"));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(900m), "only the first request's 100 left the source");
            Assert.That(await platform.BalanceAsync(2, to), Is.EqualTo(100m));
        });
    }

    [Test]
    public async Task A_reused_transfer_id_with_another_destination_is_refused_while_the_first_is_in_flight()
    {
        // Both requests are in the queue at once and are taken concurrently: whichever the saga sees first owns the id,
        // the other is the conflict. Either way exactly one destination is paid, once.
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, 1_000m);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 0m);
        var other = await SagaPlatform.OpenAccountAsync(platform, 2, 0m);
        var transferId = SagaPlatform.NewTransferId("REUSE");

        await platform.SubmitAsync(transferId, from, to, 100m);
        await platform.SubmitAsync(transferId, from, other, 100m);

        Assert.That((await platform.WaitForFinalAsync(transferId)).Status, Is.EqualTo("SUCCESS"));
        await outcomes.WaitForAsync(transferId, "TransferRequestConflicted");
        var paid = new[] { await platform.BalanceAsync(2, to), await platform.BalanceAsync(2, other) };
        Assert.Multiple(async () =>
        {
            Assert.That(paid, Is.EquivalentTo(new[] { 100m, 0m }), "one destination paid once, the other untouched");
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(900m));
            Assert.That((await outcomes.ForAsync(transferId)).Count(a => a.Type == "TransferRequestConflicted"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task The_same_request_again_is_answered_with_the_current_outcome_and_no_conflict()
    {
        var from = await SagaPlatform.OpenAccountAsync(platform, 1, 1_000m);
        var to = await SagaPlatform.OpenAccountAsync(platform, 2, 0m);
        var transferId = SagaPlatform.NewTransferId("REUSE");
        await platform.SubmitAsync(transferId, from, to, 100m);
        Assert.That((await platform.WaitForFinalAsync(transferId)).Status, Is.EqualTo("SUCCESS"));

        await platform.SubmitAsync(transferId, from, to, 100.00m);

        await Eventually.HoldsAsync(async () => (await outcomes.ForAsync(transferId)).Count(a => a.Type == "TransferCompleted") == 2,
            "the outcome answered again", TimeSpan.FromSeconds(30));
        Assert.Multiple(async () =>
        {
            Assert.That((await outcomes.ForAsync(transferId)).Any(a => a.Type == "TransferRequestConflicted"), Is.False);
            Assert.That((await platform.TimelineAsync(transferId)).Select(e => e.EventType), Does.Contain("DuplicateRequest"));
            Assert.That(await platform.BalanceAsync(1, from), Is.EqualTo(900m));
        });
    }
}
