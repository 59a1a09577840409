using Banking.Contracts;
using Banking.Contracts.Accounts;
using Banking.Gateway.Errors;
using Banking.Gateway.Transfers;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Accounts;

/// <summary>
/// Asks both ledgers (<c>debit-ledger-queries</c> for DB1, <c>credit-ledger-queries</c> for DB2) in parallel: the gateway does
/// not know which database holds an account, and the one that does not answers Found=false.
/// </summary>
public sealed class LedgerBalances(IBus bus, IOptions<GatewayOptions> options)
{
    private readonly GatewayQuery<GetAccountBalance> debitLedger = new(bus, Endpoints.DebitQueries, "The source-account ledger", options.Value);

    private readonly GatewayQuery<GetAccountBalance> creditLedger = new(bus, Endpoints.CreditQueries, "The destination-account ledger", options.Value);

    /// <summary>
    /// The account as its ledger reports it, or null when neither ledger holds it. When one ledger is silent and
    /// the other does not hold the account, the answer is unknown: <see cref="ServiceUnavailableException"/>.
    /// </summary>
    public async Task<AccountBalance?> FindAsync(string accountNo, CancellationToken cancellationToken)
    {
        var question = new GetAccountBalance { AccountNo = accountNo };
        var debit = debitLedger.AskAsync<AccountBalance>(question, cancellationToken);
        var credit = creditLedger.AskAsync<AccountBalance>(question, cancellationToken);
        try
        {
            await Task.WhenAll(debit, credit);
        }
        catch (ServiceUnavailableException)
        {
            // Decided below from whichever answered.
        }

        if (debit.IsCompletedSuccessfully && debit.Result.Found) return debit.Result;
        if (credit.IsCompletedSuccessfully && credit.Result.Found) return credit.Result;
        if (debit.IsCompletedSuccessfully && credit.IsCompletedSuccessfully) return null;
        await (debit.IsFaulted ? debit : credit); // rethrows the 503
        return null;
    }
}
