namespace Banking.CreditService;

/// <summary>Fences a transfer's credit for an operator's abort; answers CreditCancelled (fenced, or already applied).</summary>
public sealed class CancelCreditConsumer(LedgerOperations ledger) : IConsumer<CancelCredit>
{
    public Task Consume(ConsumeContext<CancelCredit> context) => context.PublishOutcomeAsync(
        ledger.CancelAsync(context.Message.TransferId, LedgerOperationKinds.Credit, context.Message.AccountNo, context.CancellationToken),
        result => result.ToCreditCancelReply(context.Message.AccountNo));
}
