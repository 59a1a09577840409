using System.Globalization;
using Banking.Contracts;
using Banking.Contracts.Transfers;
using Banking.Gateway.Accounts;
using Banking.Gateway.Extensions;
using Banking.Gateway.Security;
using Banking.Gateway.Transfers;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;

namespace Banking.Gateway.Apis;

/// <summary><c>GET /api/v1/transfers</c>: a caller's transfers, newest first.</summary>
public static class TransferListApi
{
    private static readonly string[] Statuses = [TransferStatuses.Pending, TransferStatuses.Success, TransferStatuses.Failed, TransferStatuses.Rollback];

    public static IEndpointRouteBuilder MapTransferListApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/transfers").WithTags("Transfers")
            .MapRead<TransferListResponse>("", ListTransfers, "ListTransfers",
                "A caller's transfers, newest first",
                "Query: account (transfers from or to it), status (PENDING, SUCCESS, FAILED, ROLLBACK), " +
                $"limit (1-{PageQuery.MaxPageSize}, default {PageQuery.DefaultPageSize}) and cursor (the previous page's next_cursor). " +
                "A channel and a customer see the transfers they requested; a customer naming one of its own accounts sees every transfer " +
                "from or to it (another customer's account is 403, like an unknown one). Operators, auditors (account numbers masked) and admins see all.",
                ("TransfersListed", http => http.Request.Query["account"].FirstOrDefault() ?? "(own transfers)"));
        return app;
    }

    private static async Task<IResult> ListTransfers(string? account, string? status, string? cursor, string? limit,
        HttpContext http, TransferStatusClient transfers, BalanceCache accounts)
    {
        if (account is not null && !TransferRules.IsValidAccountNo(account))
            return ApiError.Validation("account", $"must be 1 to {TransferRules.MaxAccountNoLength} digits");
        if (status is not null && !Statuses.Contains(status, StringComparer.Ordinal))
            return ApiError.Validation("status", $"must be one of {string.Join(", ", Statuses)}");
        if (!PageQuery.TryRead(limit, cursor, out var paging, out var invalid)) return invalid!;

        var caller = Caller.From(http.User);
        var cancellationToken = http.RequestAborted;
        string? requestedBy = null;
        if (caller.IsLimitedToOwnAccounts(Roles.Readers))
        {
            // A customer's own account opens every transfer on it; without one, only what the customer requested itself.
            if (account is null) requestedBy = caller.Describe();
            else if (await accounts.GetAsync(account, cancellationToken) is not { } held || !caller.Owns(held.ClientNo))
                return ApiError.Forbidden("This is not one of your accounts");
        }
        else if (!SeesEveryTransfer(caller))
        {
            requestedBy = caller.Describe();
        }

        var page = await transfers.ListAsync(new GetTransferList
        {
            Account = account, Status = status, RequestedBy = requestedBy, Before = paging.Before, Limit = paging.Size,
        }, cancellationToken);

        return Results.Ok(new TransferListResponse(
            [.. page.Transfers.Select(t => TransferApi.StatusBody(http.User, t))],
            PageQuery.Cursor(page.NextBefore)));
    }

    // Channels act for many customers but see only what they sent; the bank's own staff see the whole log.
    private static bool SeesEveryTransfer(Caller caller) =>
        caller.Roles.Contains(Roles.Operator) || caller.Roles.Contains(Roles.Auditor) || caller.Roles.Contains(Roles.Admin);
}
