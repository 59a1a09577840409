using Banking.Contracts;
using Banking.Gateway.Errors;
using Banking.Gateway.Transfers;
using MassTransit;

namespace Banking.Gateway.Accounts;

/// <summary>
/// Asks both ledgers (<c>debit-ledger-queries</c> for DB1, <c>credit-ledger-queries</c> for DB2) in parallel: the gateway does
/// not know which database holds an account, and the one that does not holds answers "not found".
/// </summary>
public sealed class BothLedgers<TQuestion>(IBus bus, GatewayOptions options)
    where TQuestion : class
{
    private readonly GatewayQuery<TQuestion> debitLedger = new(bus, Endpoints.DebitQueries, "The source-account ledger", options);

    private readonly GatewayQuery<TQuestion> creditLedger = new(bus, Endpoints.CreditQueries, "The destination-account ledger", options);

    /// <summary>
    /// The answer of the ledger that holds the account, or null when neither does. When one ledger is silent and the
    /// other does not hold the account, the answer is unknown: <see cref="ServiceUnavailableException"/>.
    /// </summary>
    public async Task<TAnswer?> FindAsync<TAnswer>(TQuestion question, Func<TAnswer, bool> holdsAccount, CancellationToken cancellationToken)
        where TAnswer : class
    {
        var debit = debitLedger.AskAsync<TAnswer>(question, cancellationToken);
        var credit = creditLedger.AskAsync<TAnswer>(question, cancellationToken);
        try
        {
            await Task.WhenAll(debit, credit);
        }
        catch (ServiceUnavailableException)
        {
            // Decided below from whichever answered.
        }

        if (debit.IsCompletedSuccessfully && holdsAccount(debit.Result)) return debit.Result;
        if (credit.IsCompletedSuccessfully && holdsAccount(credit.Result)) return credit.Result;
        if (debit.IsCompletedSuccessfully && credit.IsCompletedSuccessfully) return null;
        await (debit.IsFaulted ? debit : credit); // rethrows the 503
        return null;
    }
}
