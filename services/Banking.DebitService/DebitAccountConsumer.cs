using Banking.Contracts.Ledger;
using Banking.Ledger;
using MassTransit;

namespace Banking.DebitService;

/// <summary>Takes a transfer's amount out of its source account; answers AccountDebited or DebitRejected.</summary>
public sealed class DebitAccountConsumer(LedgerOperations ledger) : IConsumer<DebitAccount>
{
    public async Task Consume(ConsumeContext<DebitAccount> context)
    {
        var m = context.Message;
        var result = await ledger.DebitAsync(m.TransferId, m.AccountNo, m.Amount, m.Currency, m.Narrative, context.CancellationToken);
        await context.Publish(result.ToDebitReply(), context.CancellationToken);
    }
}
