using Banking.Contracts.Ledger;
using Banking.Ledger;
using MassTransit;

namespace Banking.CreditService;

/// <summary>Pays a transfer's amount into its destination account; answers AccountCredited or CreditRejected.</summary>
public sealed class CreditAccountConsumer(LedgerOperations ledger) : IConsumer<CreditAccount>
{
    public async Task Consume(ConsumeContext<CreditAccount> context)
    {
        var m = context.Message;
        var result = await ledger.CreditAsync(m.TransferId, m.AccountNo, m.Amount, m.Currency, m.Narrative, context.CancellationToken);
        await context.Publish(result.ToCreditReply(), context.CancellationToken);
    }
}
