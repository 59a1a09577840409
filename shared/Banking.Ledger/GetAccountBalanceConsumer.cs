using Banking.Contracts.Accounts;
using MassTransit;

namespace Banking.Ledger;

/// <summary>
/// Answers balance questions for the accounts of this ledger. A read changes nothing, so it needs no inbox:
/// a repeated question simply gets a fresh answer.
/// </summary>
public sealed class GetAccountBalanceConsumer(LedgerOperations ledger) : IConsumer<GetAccountBalance>
{
    public async Task Consume(ConsumeContext<GetAccountBalance> context)
    {
        var account = await ledger.GetBalanceAsync(context.Message.AccountNo, context.CancellationToken);
        await context.RespondAsync(account is null
            ? new AccountBalance { AccountNo = context.Message.AccountNo, Found = false }
            : new AccountBalance
            {
                AccountNo = account.AccountNo,
                Found = true,
                Balance = account.Balance,
                Currency = account.Currency,
                Status = account.Status,
                ClientNo = account.ClientNo,
                LastUpdatedUtc = account.LastChangeUtc,
            });
    }
}
