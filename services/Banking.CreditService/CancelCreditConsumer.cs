using Banking.Contracts.Ledger;
using Banking.Ledger;
using Banking.Ledger.Data;
using MassTransit;

namespace Banking.CreditService;

/// <summary>Fences a transfer's credit for an operator's abort; answers CreditCancelled (fenced, or already applied).</summary>
public sealed class CancelCreditConsumer(LedgerOperations ledger) : IConsumer<CancelCredit>
{
    public async Task Consume(ConsumeContext<CancelCredit> context)
    {
        var result = await ledger.CancelAsync(context.Message.TransferId, LedgerOperationKinds.Credit, context.Message.AccountNo, context.CancellationToken);
        await context.Publish(result.ToCreditCancelReply(context.Message.AccountNo), context.CancellationToken);
    }
}
