namespace Banking.DebitService;

/// <summary>Fences a transfer's debit for an operator's abort; answers DebitCancelled (fenced, or already applied).</summary>
public sealed class CancelDebitConsumer(LedgerOperations ledger) : IConsumer<CancelDebit>
{
    public Task Consume(ConsumeContext<CancelDebit> context) => context.PublishOutcomeAsync(
        ledger.CancelAsync(context.Message.TransferId, LedgerOperationKinds.Debit, context.Message.AccountNo, context.CancellationToken),
        result => result.ToDebitCancelReply(context.Message.AccountNo));
}
