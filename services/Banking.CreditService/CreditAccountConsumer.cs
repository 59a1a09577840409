namespace Banking.CreditService;

/// <summary>Pays a transfer's amount into its destination account; answers AccountCredited or CreditRejected.</summary>
public sealed class CreditAccountConsumer(LedgerOperations ledger) : IConsumer<CreditAccount>
{
    public Task Consume(ConsumeContext<CreditAccount> context) => context.PublishOutcomeAsync(
        ledger.CreditAsync(context.Message.TransferId, context.Message.AccountNo, context.Message.Amount, context.Message.Currency, context.Message.Narrative, context.CancellationToken),
        static result => result.ToCreditReply());
}
