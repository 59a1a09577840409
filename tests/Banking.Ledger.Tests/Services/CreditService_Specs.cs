using Banking.Contracts;
using Banking.Contracts.Accounts;
using Banking.Contracts.Ledger;
using Banking.Ledger.Tests.Support;
using Banking.Testing;

namespace Banking.Ledger.Tests.Services;

/// <summary>CreditService as a real process on its own database (server 2) and virtual host.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CreditService_Specs
{
    private LedgerService service = null!;

    [OneTimeSetUp]
    public async Task Start() => service = await LedgerService.CreditAsync("svc_credit");

    [OneTimeTearDown]
    public async Task Stop() => await service.DisposeAsync();

    private static CreditAccount Credit(string transferId, string account, decimal amount, string currency = "CNY") =>
        new() { TransferId = transferId, AccountNo = account, Amount = amount, Currency = currency, Narrative = "service spec" };

    [Test]
    public async Task A_credit_delivered_under_several_message_ids_is_paid_in_once_and_answered_alike()
    {
        var account = await service.Ledger.OpenAccountAsync(100.00m);
        var transfer = $"cr-{Guid.NewGuid():N}";
        var messageId = Guid.NewGuid();

        await service.Replies.SendAsync(Endpoints.CreditLedger, Credit(transfer, account, 900.00m), messageId);
        await service.Replies.SendAsync(Endpoints.CreditLedger, Credit(transfer, account, 900.00m), messageId);
        await service.Replies.SendAsync(Endpoints.CreditLedger, Credit(transfer, account, 900.00m), Guid.NewGuid());
        await service.Replies.SendAsync(Endpoints.CreditLedger, Credit(transfer, account, 900.00m), Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(transfer, nameof(AccountCredited)).Count == 3), "one reply per distinct message id");
        await Eventually.HoldsAsync(async () => await service.ReceiveCountAsync(messageId) >= 2, "the duplicate reaching the inbox");

        var credited = service.Replies.For(transfer, nameof(AccountCredited));
        Assert.Multiple(async () =>
        {
            Assert.That(credited.Select(r => r.Message), Has.All.EqualTo(credited[0].Message));
            Assert.That(((AccountCredited)credited[0].Message).BalanceAfter, Is.EqualTo(1_000.00m));
            Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(1_000.00m));
            Assert.That(await service.Ledger.HistoryOfTransferAsync(transfer), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Credits_to_restricted_unknown_or_foreign_currency_accounts_are_rejected_with_their_reason()
    {
        var closed = await service.Ledger.OpenAccountAsync(5.00m, status: "C");
        var active = await service.Ledger.OpenAccountAsync(5.00m);
        var cases = new[]
        {
            (Transfer: $"crr-{Guid.NewGuid():N}", Account: closed, Currency: "CNY", Reason: ReasonCodes.AccountRestricted),
            (Transfer: $"crn-{Guid.NewGuid():N}", Account: "66888888888888", Currency: "CNY", Reason: ReasonCodes.AccountNotFound),
            (Transfer: $"crc-{Guid.NewGuid():N}", Account: active, Currency: "USD", Reason: ReasonCodes.CurrencyMismatch),
        };

        foreach (var c in cases) await service.Replies.SendAsync(Endpoints.CreditLedger, Credit(c.Transfer, c.Account, 10.00m, c.Currency), Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(cases.All(c => service.Replies.For(c.Transfer, nameof(CreditRejected)).Count == 1)), "the three rejections");

        Assert.Multiple(async () =>
        {
            foreach (var c in cases)
            {
                Assert.That(((CreditRejected)service.Replies.For(c.Transfer, nameof(CreditRejected))[0].Message).ReasonCode, Is.EqualTo(c.Reason));
                Assert.That(await service.Ledger.HistoryOfTransferAsync(c.Transfer), Is.Empty);
            }

            Assert.That(await service.Ledger.BalanceAsync(closed), Is.EqualTo(5.00m));
            Assert.That(await service.Ledger.BalanceAsync(active), Is.EqualTo(5.00m));
        });
    }

    [Test]
    public async Task A_credit_arriving_after_its_cancel_is_refused_as_CANCELLED()
    {
        var account = await service.Ledger.OpenAccountAsync(0.00m);
        var transfer = $"crf-{Guid.NewGuid():N}";

        await service.Replies.SendAsync(Endpoints.CreditLedger, new CancelCredit { TransferId = transfer, AccountNo = account }, Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(transfer, nameof(CreditCancelled)).Count == 1), "the cancel's answer");
        await service.Replies.SendAsync(Endpoints.CreditLedger, Credit(transfer, account, 10.00m), Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(transfer, nameof(CreditRejected)).Count == 1), "the late credit's answer");

        Assert.Multiple(async () =>
        {
            Assert.That(((CreditCancelled)service.Replies.For(transfer, nameof(CreditCancelled))[0].Message).WasAlreadyApplied, Is.False);
            Assert.That(((CreditRejected)service.Replies.For(transfer, nameof(CreditRejected))[0].Message).ReasonCode, Is.EqualTo(ReasonCodes.Cancelled));
            Assert.That(await service.Ledger.BalanceAsync(account), Is.Zero);
        });
    }
}
