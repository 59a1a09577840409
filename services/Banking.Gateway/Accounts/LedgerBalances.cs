using Banking.Contracts;
using Banking.Contracts.Accounts;
using Banking.Gateway.Errors;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Accounts;

/// <summary>
/// Asks both ledgers (<c>debit-ledger-queries</c> for DB1, <c>credit-ledger-queries</c> for DB2) in parallel: the gateway does
/// not know which database holds an account, and the one that does not answers Found=false.
/// </summary>
public sealed class LedgerBalances(IBus bus, IOptions<GatewayOptions> options)
{
    private readonly IRequestClient<GetAccountBalance> debitLedger =
        bus.CreateRequestClient<GetAccountBalance>(Endpoints.Queue(Endpoints.DebitQueries), RequestTimeout.After(ms: options.Value.QueryTimeoutMs));

    private readonly IRequestClient<GetAccountBalance> creditLedger =
        bus.CreateRequestClient<GetAccountBalance>(Endpoints.Queue(Endpoints.CreditQueries), RequestTimeout.After(ms: options.Value.QueryTimeoutMs));

    /// <summary>
    /// The account as its ledger reports it, or null when neither ledger holds it. When one ledger is silent and
    /// the other does not hold the account, the answer is unknown: <see cref="ServiceUnavailableException"/>.
    /// </summary>
    public async Task<AccountBalance?> FindAsync(string accountNo, CancellationToken cancellationToken)
    {
        var debit = Ask(debitLedger, "The source-account ledger", accountNo, cancellationToken);
        var credit = Ask(creditLedger, "The destination-account ledger", accountNo, cancellationToken);
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

    private Task<AccountBalance> Ask(IRequestClient<GetAccountBalance> client, string who, string accountNo, CancellationToken cancellationToken) =>
        Transfers.Queries.AnswerWithin(TimeSpan.FromMilliseconds(options.Value.QueryTimeoutMs), cancellationToken, who, async token =>
            (await client.GetResponse<AccountBalance>(new GetAccountBalance { AccountNo = accountNo }, token)).Message);
}
