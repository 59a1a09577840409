using System.Diagnostics;
using Banking.Contracts;
using Banking.Contracts.Accounts;
using Banking.Contracts.Transfers;
using Banking.Gateway.Accounts;
using Banking.Gateway.Extensions;
using Banking.Gateway.RateLimiting;
using Banking.Gateway.Security;
using Banking.Gateway.Transfers;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Apis;

/// <summary><c>POST /api/v1/transfer</c> and <c>GET /api/v1/transfer/{transfer_id}</c>.</summary>
public static class TransferApi
{
    public static IEndpointRouteBuilder MapTransferApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/transfer").WithTags("Transfers");

        api.MapPost("", ProcessTransfer)
            .WithName("ProcessTransfer")
            .WithSummary("Move money from a source account (DB1) to a destination account (DB2)")
            .WithDescription("Roles: customer (from_account must be its own), channel. `reference` is the transfer id and idempotency key " +
                             "(generated when absent): the same reference with the same body gives the same outcome (header Idempotent-Replayed: true), " +
                             "with another body 409 DUPLICATE_REFERENCE. Answers 200 when the transfer completes within Gateway:SyncWaitMs, " +
                             "the error body when it fails, otherwise 202 PENDING with a Location to poll. When the broker did not confirm the request and no outcome " +
                             "came in time, its fate is unknown: 503 SERVICE_UNAVAILABLE with details.retry_same_reference = true and Retry-After; " +
                             "retry with the same reference (never a new one), which is answered with the transfer's outcome and never pays twice.")
            .RequireAuthorization(Policies.TransferWriters)
            .WithMetadata(new CountedWithTheClaim())
            .Accepts<TransferRequestBody>("application/json")
            .Produces<TransferSucceededResponse>(StatusCodes.Status200OK)
            .Produces<TransferPendingResponse>(StatusCodes.Status202Accepted)
            .ProducesErrors(400, 401, 403, 404, 409, 413, 422, 429, 500, 503);

        api.MapRead<TransferStatusResponse>("/{transfer_id}", GetTransfer, "GetTransferStatus",
            "A transfer's status",
            "Roles: customer (when from_account or to_account is its own; any other transfer is 404 like an unknown one), " +
            "channel, operator, auditor (account numbers masked), admin.",
            ("TransferRead", http => http.GetRouteValue("transfer_id") as string));

        return app;
    }

    private static async Task<IResult> ProcessTransfer(
        HttpContext http,
        TransferRequestReader reader,
        TransferAdmission admission,
        TransferSubmitter submitter,
        LedgerBalances ledgers,
        IOptions<GatewayOptions> options)
    {
        var cancellationToken = http.RequestAborted;
        var body = await RequestBodies.ReadLimitedAsync(http.Request, options.Value.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return new ApiError(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
                $"The request body is larger than {options.Value.MaxBodyBytes} bytes", new Dictionary<string, object?> { ["max_bytes"] = options.Value.MaxBodyBytes });
        }

        var (input, invalid) = reader.Read(body);
        if (invalid is not null) return invalid;

        // The rate limit is counted here, with the claim in one Redis round trip, and before anything that costs more.
        var admitted = await admission.AdmitAsync(http, input!);
        if (admitted.TooManyRequests is { } tooManyRequests) return tooManyRequests;

        var caller = Caller.From(http.User) with { SourceAddress = http.Connection.RemoteIpAddress?.ToString() };
        if (caller.IsLimitedToOwnAccounts(Roles.TransferWriters))
        {
            // Unknown and foreign accounts get the same answer, so a customer cannot probe for account numbers, nor (the
            // claim's answer comes after this one) for references in use. Money moves only on the ledger's word for who
            // owns the account, never on a cached copy of it.
            AccountBalance? source;
            try
            {
                source = await ledgers.FindAsync(input!.FromAccount, cancellationToken);
            }
            catch
            {
                // A 503 (or a client gone): nothing was published, so a retry must not be taken for a replay.
                await admission.WithdrawAsync(input!, admitted.Claim);
                throw;
            }

            if (source is null || !caller.Owns(source.ClientNo))
            {
                await admission.WithdrawAsync(input, admitted.Claim);
                return ApiError.Forbidden("from_account is not one of your accounts");
            }
        }

        var submission = await submitter.SubmitAsync(input!, admitted.Claim, caller, cancellationToken);
        if (submission.Replayed) http.Response.Headers[TransferHeaders.IdempotentReplayed] = "true";
        if (submission is Submission.Pending) http.Response.Headers.Location = $"/api/v1/transfer/{Uri.EscapeDataString(input!.Reference)}";

        return submission switch
        {
            Submission.Conflict => new ApiError(StatusCodes.Status409Conflict, ErrorCodes.DuplicateReference,
                $"Reference {input!.Reference} is already used by another transfer request",
                new Dictionary<string, object?> { ["field"] = "reference", ["transfer_id"] = input.Reference }),
            Submission.Unknown => OutcomeUnknown(input!.Reference, options.Value),
            Submission.Pending => Results.Json(
                new TransferPendingResponse(TransferStatuses.Pending, input!.Reference, input.FromAccount, input.ToAccount, Money.Of(input.Amount), input.Currency, input.Description),
                statusCode: StatusCodes.Status202Accepted),
            Submission.Finished { Outcome: TransferCompleted completed } => Results.Ok(new TransferSucceededResponse(
                "success", completed.TransferId, Timestamps.Utc(completed.CompletedAtUtc), completed.FromAccount, completed.ToAccount,
                Money.Of(completed.Amount), completed.Currency, Money.Of(completed.SourceBalanceAfter))),
            Submission.Finished { Outcome: TransferFailed failed } => BusinessFailure(failed.TransferId, TransferStatuses.Failed, failed.ReasonCode, failed.Reason,
                failed.Account, failed.AvailableBalance, failed.RemainingDailyAllowance, failed.Amount),
            Submission.Finished { Outcome: TransferRolledBack rolledBack } => BusinessFailure(rolledBack.TransferId, TransferStatuses.Rollback, rolledBack.ReasonCode, rolledBack.Reason,
                rolledBack.Account, null, null, rolledBack.Amount),
            _ => throw new InvalidOperationException($"unexpected submission {submission}"),
        };
    }

    private static async Task<IResult> GetTransfer(
        string transfer_id,
        HttpContext http,
        TransferStatusClient statuses,
        BalanceCache accounts)
    {
        if (!TransferRules.IsValidTransferId(transfer_id))
            return ApiError.Validation("transfer_id", $"must be 1 to {TransferIds.MaxLength} characters of A-Z, a-z, 0-9, '_' or '-'");

        Activity.Current?.SetTag(BankingTelemetry.TransferIdTag, transfer_id);
        var cancellationToken = http.RequestAborted;
        var transfer = await statuses.GetAsync(transfer_id, cancellationToken);

        // A customer gets the same 404 for another customer's transfer as for one that does not exist: a 403 would
        // confirm that the id is in use.
        var caller = Caller.From(http.User);
        if (!transfer.Found || caller.IsLimitedToOwnAccounts(Roles.Readers) && !await OwnsEitherAsync(caller, accounts, transfer, cancellationToken))
        {
            return new ApiError(StatusCodes.Status404NotFound, ErrorCodes.TransferNotFound, $"No transfer with id {transfer_id}",
                new Dictionary<string, object?> { ["transfer_id"] = transfer_id });
        }

        return Results.Ok(StatusBody(http.User, transfer));
    }

    /// <summary>The seed's status body of a transfer, account numbers masked for those who see them masked.</summary>
    internal static TransferStatusResponse StatusBody(System.Security.Claims.ClaimsPrincipal user, TransferStatus transfer)
    {
        var failed = transfer.Status is TransferStatuses.Failed or TransferStatuses.Rollback;
        return new TransferStatusResponse(
            transfer.TransferId,
            transfer.Status ?? TransferStatuses.Pending,
            AccountMasking.For(user, transfer.FromAccount ?? "") ?? "",
            AccountMasking.For(user, transfer.ToAccount ?? "") ?? "",
            Money.Of(transfer.Amount),
            transfer.Currency ?? "",
            Timestamps.Utc(transfer.CreatedAtUtc ?? DateTime.UtcNow),
            Timestamps.Utc(transfer.CompletedAtUtc),
            failed ? transfer.ReasonCode : null,
            failed ? transfer.ErrorMessage : null);
    }

    private static async Task<bool> OwnsEitherAsync(Caller caller, BalanceCache accounts, TransferStatus transfer, CancellationToken cancellationToken)
    {
        foreach (var accountNo in new[] { transfer.FromAccount, transfer.ToAccount })
        {
            if (string.IsNullOrEmpty(accountNo)) continue;
            var account = await accounts.GetAsync(accountNo, cancellationToken);
            if (account is not null && caller.Owns(account.ClientNo)) return true;
        }

        return false;
    }

    /// <summary>
    /// The request may be queued or lost: a 202 would promise a transfer the saga may never see, and a new reference could
    /// pay twice. The claim stays, so the same reference comes back as a replay, is published again, and the saga either
    /// starts the transfer or answers with its outcome.
    /// </summary>
    private static ApiError OutcomeUnknown(string reference, GatewayOptions options) =>
        ApiError.Unavailable(
                $"The message broker did not confirm transfer {reference} in time; its outcome is unknown. Retry with the same reference, never a new one: the retry is answered with the transfer's outcome and never pays twice",
                new Dictionary<string, object?> { ["transfer_id"] = reference, ["retry_same_reference"] = true })
            .WithHeader("Retry-After", options.UnconfirmedRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A transfer the ledger refused (through the saga): the seed's error body, with the reason code as the error code.</summary>
    private static ApiError BusinessFailure(string transferId, string transferStatus, string reasonCode, string reason, string? account, decimal? availableBalance,
        decimal? remainingDailyAllowance, decimal requestedAmount)
    {
        var details = new Dictionary<string, object?>();
        if (account is not null) details["account"] = account;
        if (reasonCode == ReasonCodes.InsufficientBalance)
        {
            details["available_balance"] = Money.Of(availableBalance);
            details["requested_amount"] = Money.Of(requestedAmount);
        }

        if (reasonCode == ReasonCodes.DailyLimitExceeded)
        {
            details["remaining_allowance"] = Money.Of(remainingDailyAllowance);
            details["requested_amount"] = Money.Of(requestedAmount);
        }

        details["transfer_id"] = transferId;
        details["transfer_status"] = transferStatus;

        var message = reasonCode switch
        {
            ReasonCodes.InsufficientBalance => "Account balance is insufficient for this transaction",
            ReasonCodes.AccountRestricted => "The account is restricted and cannot take part in this transaction",
            ReasonCodes.AccountNotFound => "The account does not exist",
            ReasonCodes.CurrencyMismatch => "The transfer currency does not match the account currency",
            ReasonCodes.LimitExceeded => "The amount exceeds a transfer limit",
            ReasonCodes.DailyLimitExceeded => "The amount exceeds what the account may still send out today (its own or its customer's daily limit)",
            _ => string.IsNullOrWhiteSpace(reason) ? "The transfer was not completed" : reason,
        };
        if (transferStatus == TransferStatuses.Rollback) message += "; the debit was reversed and no money moved";

        return new ApiError(StatusForReason(reasonCode), reasonCode, message, details);
    }

    /// <summary>HTTP status for a reason code that ended a transfer (TransferFailed / TransferRolledBack).</summary>
    private static int StatusForReason(string reasonCode) => reasonCode switch
    {
        ReasonCodes.ValidationError => StatusCodes.Status400BadRequest,
        ReasonCodes.AccountNotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status422UnprocessableEntity,
    };
}
