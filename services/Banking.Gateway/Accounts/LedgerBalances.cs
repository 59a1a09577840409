using Banking.Contracts.Accounts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Accounts;

/// <summary>An account's balance from whichever ledger holds it.</summary>
public sealed class LedgerBalances(IBus bus, IOptions<GatewayOptions> options)
{
    private readonly BothLedgers<GetAccountBalance> ledgers = new(bus, options.Value);

    /// <summary>The account as its ledger reports it, or null when neither ledger holds it (503 when that is unknown).</summary>
    public Task<AccountBalance?> FindAsync(string accountNo, CancellationToken cancellationToken) =>
        ledgers.FindAsync<AccountBalance>(new GetAccountBalance { AccountNo = accountNo }, answer => answer.Found, cancellationToken);
}
