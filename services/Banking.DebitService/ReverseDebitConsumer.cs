using Banking.Contracts.Ledger;
using Banking.Ledger;
using MassTransit;

namespace Banking.DebitService;

/// <summary>Gives back what a transfer's debit took (the compensation of a refused credit); answers DebitReversed.</summary>
public sealed class ReverseDebitConsumer(LedgerOperations ledger) : IConsumer<ReverseDebit>
{
    public async Task Consume(ConsumeContext<ReverseDebit> context)
    {
        var result = await ledger.ReverseDebitAsync(context.Message.TransferId, context.Message.AccountNo, context.CancellationToken);
        await context.Publish(result.ToReversalReply(), context.CancellationToken);
    }
}
