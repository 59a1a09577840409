namespace Banking.DebitService;

/// <summary>Takes a transfer's amount out of its source account; answers AccountDebited or DebitRejected.</summary>
public sealed class DebitAccountConsumer(LedgerOperations ledger) : IConsumer<DebitAccount>
{
    public Task Consume(ConsumeContext<DebitAccount> context) => context.PublishOutcomeAsync(
        ledger.DebitAsync(context.Message.TransferId, context.Message.AccountNo, context.Message.Amount, context.Message.Currency, context.Message.Narrative, context.CancellationToken),
        static result => result.ToDebitReply());
}
