namespace Banking.DebitService;

/// <summary>Gives back what a transfer's debit took (the compensation of a refused credit); answers DebitReversed.</summary>
public sealed class ReverseDebitConsumer(LedgerOperations ledger) : IConsumer<ReverseDebit>
{
    public Task Consume(ConsumeContext<ReverseDebit> context) => context.PublishOutcomeAsync(
        ledger.ReverseDebitAsync(context.Message.TransferId, context.Message.AccountNo, context.CancellationToken),
        static result => result.ToReversalReply());
}
