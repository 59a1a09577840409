using System.Globalization;
using Banking.Contracts;
using Banking.Contracts.Accounts;
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
            "that every balance change and every finished transfer invalidates.",
            ("BalanceRead", http => http.GetRouteValue("account_no") as string));

        api.MapRead<AccountTransactionsResponse>("/{account_no}/transactions", GetTransactions, "GetAccountTransactions",
            "An account's booked entries, newest first",
            "Roles as for the balance. Query: from and to (ISO-8601 UTC date or time; a date alone covers that whole day; to is " +
            $"exclusive for a time), limit (1-{PageQuery.MaxPageSize}, default {PageQuery.DefaultPageSize}) and cursor (the previous page's next_cursor). " +
            "Each entry names its transfer, direction, amount and the balance it left. Read from the ledger, never cached.",
            ("TransactionsRead", http => http.GetRouteValue("account_no") as string));

        return app;
    }

    private static async Task<IResult> GetTransactions(string account_no, string? from, string? to, string? cursor, string? limit,
        HttpContext http, LedgerStatements statements)
    {
        if (!TransferRules.IsValidAccountNo(account_no))
            return ApiError.Validation("account_no", $"must be 1 to {TransferRules.MaxAccountNoLength} digits");
        if (!TryReadBound(from, endOfDay: false, out var fromUtc))
            return ApiError.Validation("from", "must be an ISO-8601 date (2025-01-07) or UTC time (2025-01-07T10:30:00Z)");
        if (!TryReadBound(to, endOfDay: true, out var toUtc))
            return ApiError.Validation("to", "must be an ISO-8601 date (2025-01-07) or UTC time (2025-01-07T10:30:00Z)");
        if (fromUtc is not null && toUtc is not null && fromUtc >= toUtc)
            return ApiError.Validation("to", "must be after from");
        if (!PageQuery.TryRead(limit, cursor, out var paging, out var invalid)) return invalid!;

        var caller = Caller.From(http.User);
        var limited = caller.IsLimitedToOwnAccounts(Roles.Readers);
        var page = await statements.FindAsync(new GetAccountTransactions
        {
            AccountNo = account_no, FromUtc = fromUtc, ToUtc = toUtc, BeforeEntryNo = paging.Before, Limit = paging.Size,
        }, http.RequestAborted);

        // As for the balance: a customer cannot tell a foreign account from an unknown one.
        if (limited && (page is null || page.ClientNo is null || !caller.Owns(page.ClientNo)))
            return ApiError.Forbidden("This is not one of your accounts");
        var shown = AccountMasking.For(http.User, account_no);
        if (page is null)
        {
            return new ApiError(StatusCodes.Status404NotFound, ReasonCodes.AccountNotFound, $"Account {shown} does not exist",
                new Dictionary<string, object?> { ["account"] = shown });
        }

        return Results.Ok(new AccountTransactionsResponse(
            shown,
            page.Currency ?? "",
            [.. page.Entries.Select(e => new AccountTransactionResponse(
                e.EntryNo.ToString(CultureInfo.InvariantCulture),
                e.TransferId,
                e.DebitCredit == "D" ? "DEBIT" : "CREDIT",
                Money.Of(e.Amount),
                Money.Of(e.BalanceAfter),
                e.TranType,
                e.Narrative,
                Timestamps.Utc(e.BookedAtUtc)))],
            PageQuery.Cursor(page.NextBeforeEntryNo)));
    }

    /// <summary>A date (the day's start, or with <paramref name="endOfDay"/> the next day's) or a time with its offset, as UTC.</summary>
    private static bool TryReadBound(string? text, bool endOfDay, out DateTime? utc)
    {
        utc = null;
        if (text is null) return true;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            utc = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddDays(endOfDay ? 1 : 0);
            return true;
        }

        // A time must say which zone it is in; a bare local time would be read differently by every server.
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            && (text.EndsWith('Z') || text.EndsWith("z", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d{2}:\d{2}$")))
        {
            utc = time.UtcDateTime;
            return true;
        }

        return false;
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
