using System.Security.Claims;
using Banking.Contracts;
using Banking.Contracts.Transfers;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.StateMachines;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using MassTransit;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Apis;

/// <summary>
/// What an operator does to a transfer: retry its pending step now, or abort it safely; above the four-eyes threshold
/// (<see cref="TransferOptions.FourEyesThreshold"/>) the action waits until another operator approves or rejects it.
/// All are messages to the saga, which decides and records them in the timeline with the operators' names; these
/// endpoints check first, so that an operator gets a clear answer instead of a silent no-op.
/// </summary>
public static class OperatorApi
{
    public sealed record OperatorActionRequest(string? Reason);

    public static IEndpointRouteBuilder MapOperatorApi(this IEndpointRouteBuilder app)
    {
        var transfers = app.MapGroup("/api/v1/operator/transfers").RequireAuthorization(Policies.Operators);
        MapOperatorActions(transfers);
        return app;
    }

    /// <summary>The action routes under <c>{transferId}</c>, shared by the operator API and the dashboard.</summary>
    public static void MapOperatorActions(IEndpointRouteBuilder group)
    {
        group.MapPost("/{transferId}/retry", (string transferId, [FromBody] OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, IPublishEndpoint bus, IOptions<TransferOptions> options, CancellationToken ct) =>
            ActAsync(transferId, OperatorActions.Retry, body, user, db, options.Value, ct, (who, reason) => bus.Publish(new RetryTransfer { TransferId = transferId, RequestedBy = who, Reason = reason }, ct)));
        group.MapPost("/{transferId}/abort", (string transferId, [FromBody] OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, IPublishEndpoint bus, IOptions<TransferOptions> options, CancellationToken ct) =>
            ActAsync(transferId, OperatorActions.Abort, body, user, db, options.Value, ct, (who, reason) => bus.Publish(new AbortTransfer { TransferId = transferId, RequestedBy = who, Reason = reason }, ct)));
        foreach (var (path, action) in new[] { ("retry", OperatorActions.Retry), ("abort", OperatorActions.Abort) })
        {
            group.MapPost($"/{{transferId}}/{path}/approve", (string transferId, [FromBody] OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, IPublishEndpoint bus, CancellationToken ct) =>
                DecideAsync(transferId, action, approve: true, body, user, db, ct,
                    (who, reason) => bus.Publish(new ApproveOperatorAction { TransferId = transferId, Action = action, ApprovedBy = who, Reason = reason }, ct)));
            group.MapPost($"/{{transferId}}/{path}/reject", (string transferId, [FromBody] OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, IPublishEndpoint bus, CancellationToken ct) =>
                DecideAsync(transferId, action, approve: false, body, user, db, ct,
                    (who, reason) => bus.Publish(new RejectOperatorAction { TransferId = transferId, Action = action, RejectedBy = who, Reason = reason! }, ct)));
        }
    }

    /// <summary>Checks the transfer can take the action, then sends it with the operator's name.</summary>
    public static async Task<IResult> ActAsync(string transferId, string action, OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, TransferOptions options, CancellationToken ct, Func<string, string, Task> send)
    {
        if (!TransferRules.IsValidTransferId(transferId))
            return OperatorErrors.Validation("transfer_id", "transfer_id must be 1 to 50 characters of A-Z, a-z, 0-9, '_' or '-'");
        var reason = body?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 500)
            return OperatorErrors.Validation("reason", "reason is required (1 to 500 characters): it goes into the transfer's audit timeline");

        var transfer = await ReadAsync(db, transferId, ct);
        if (transfer is null) return OperatorErrors.NotFound(transferId);
        if (!TransferStateMachine.InFlightStates.Contains(transfer.CurrentState))
            return OperatorErrors.AlreadyFinal(transferId, transfer.Status ?? transfer.CurrentState);
        if (transfer.PendingAction is not null)
            return OperatorErrors.ApprovalPending(transferId, transfer.PendingAction, transfer.PendingActionBy);

        await send(OperatorName(user), reason);
        var needsApproval = options.NeedsSecondOperator(transfer.Amount);
        return Results.Accepted($"/api/v1/operator/transfers/{transferId}", new
        {
            transfer_id = transferId,
            state = transfer.CurrentState,
            accepted = true,
            action,
            approval_required = needsApproval,
        });
    }

    /// <summary>
    /// A second operator's decision on the action waiting. The saga checks again (it alone knows the truth at the
    /// moment it decides); these checks give the operator a clear answer for the cases that can be seen now.
    /// </summary>
    public static async Task<IResult> DecideAsync(string transferId, string action, bool approve, OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, CancellationToken ct, Func<string, string?, Task> send)
    {
        if (!TransferRules.IsValidTransferId(transferId))
            return OperatorErrors.Validation("transfer_id", "transfer_id must be 1 to 50 characters of A-Z, a-z, 0-9, '_' or '-'");
        var reason = body?.Reason?.Trim();
        if (reason is { Length: > 500 } || (!approve && string.IsNullOrEmpty(reason)))
            return OperatorErrors.Validation("reason", approve
                ? "reason may be at most 500 characters"
                : "reason is required to reject (1 to 500 characters): it goes into the transfer's audit timeline");

        var transfer = await ReadAsync(db, transferId, ct);
        if (transfer is null) return OperatorErrors.NotFound(transferId);
        if (!TransferStateMachine.InFlightStates.Contains(transfer.CurrentState))
            return OperatorErrors.AlreadyFinal(transferId, transfer.Status ?? transfer.CurrentState);
        if (transfer.PendingAction != action)
            return OperatorErrors.NoApprovalPending(transferId, action);

        var who = OperatorName(user);
        if (approve && string.Equals(who, transfer.PendingActionBy, StringComparison.Ordinal))
            return OperatorErrors.SelfApproval(transferId, action);

        await send(who, string.IsNullOrEmpty(reason) ? null : reason);
        return Results.Accepted($"/api/v1/operator/transfers/{transferId}", new
        {
            transfer_id = transferId,
            state = transfer.CurrentState,
            accepted = true,
            action,
            decision = approve ? "APPROVED" : "REJECTED",
        });
    }

    /// <summary>The operator as the timeline names them, and as four eyes tells two operators apart: the token's subject.</summary>
    public static string OperatorName(ClaimsPrincipal user) =>
        user.FindFirst(BankingClaims.Subject)?.Value ?? user.FindFirst(BankingClaims.Name)?.Value ?? "operator";

    private sealed record ActionTarget(string CurrentState, string? Status, decimal Amount, string? PendingAction, string? PendingActionBy);

    private static Task<ActionTarget?> ReadAsync(CoreDbContext db, string transferId, CancellationToken ct) =>
        db.Transfers.AsNoTracking().Where(t => t.TransferId == transferId)
            .Select(t => new ActionTarget(t.CurrentState, t.Status, t.Amount, t.PendingAction, t.PendingActionBy))
            .SingleOrDefaultAsync(ct);
}
