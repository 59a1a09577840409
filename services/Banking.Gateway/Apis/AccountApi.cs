using Banking.Contracts;
using Banking.Gateway.Accounts;
using Banking.Gateway.Extensions;
using Banking.Gateway.Security;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;

namespace Banking.Gateway.Apis;

/// <summary><c>GET /api/v1/account/{account_no}/balance</c>.</summary>
public static class AccountApi
{
    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/account").WithTags("Accounts");

        api.MapRead<AccountBalanceResponse>("/{account_no}/balance", GetBalance, "GetAccountBalance",
            "An account's balance (source or destination database)",
            "Roles: customer (own accounts only), channel, operator, auditor (account number masked), admin. Served from a short-lived cache " +
            "that every balance change and every finished transfer invalidates.");

        return app;
    }

    private static async Task<IResult> GetBalance(string account_no, HttpContext http, BalanceCache accounts)
    {
        if (!TransferRules.IsValidAccountNo(account_no))
            return ApiError.Validation("account_no", $"must be 1 to {TransferRules.MaxAccountNoLength} digits");

        var caller = Caller.From(http.User);
        var limited = caller.IsLimitedToOwnAccounts(Roles.Readers);
        var account = await accounts.GetAsync(account_no, http.RequestAborted);

        // A customer gets the same answer for a foreign and an unknown account: no probing for account numbers.
        if (limited && (account is null || !caller.Owns(account.ClientNo)))
            return ApiError.Forbidden("This is not one of your accounts");
        // Auditors see account numbers masked, here as on the dashboard: one rule, AccountMasking's.
        var shown = AccountMasking.For(http.User, account_no);
        if (account is null)
        {
            return new ApiError(StatusCodes.Status404NotFound, ReasonCodes.AccountNotFound, $"Account {shown} does not exist",
                new Dictionary<string, object?> { ["account"] = shown });
        }

        return Results.Ok(new AccountBalanceResponse(
            AccountMasking.For(http.User, account.AccountNo),
            Money.Of(account.Balance),
            account.Currency ?? "",
            AccountStatuses.Describe(account.Status),
            Timestamps.Utc(account.LastUpdatedUtc ?? DateTime.UtcNow)));
    }
}
