using Banking.Contracts.Accounts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Accounts;

/// <summary>A page of an account's statement from whichever ledger holds it.</summary>
public sealed class LedgerStatements(IBus bus, IOptions<GatewayOptions> options)
{
    private readonly BothLedgers<GetAccountTransactions> ledgers = new(bus, options.Value);

    /// <summary>The page, or null when neither ledger holds the account (503 when that is unknown).</summary>
    public Task<AccountTransactions?> FindAsync(GetAccountTransactions question, CancellationToken cancellationToken) =>
        ledgers.FindAsync<AccountTransactions>(question, answer => answer.Found, cancellationToken);
}
