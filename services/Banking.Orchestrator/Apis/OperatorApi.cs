using System.Security.Claims;
using Banking.Contracts;
using Banking.Contracts.Transfers;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.StateMachines;
using Banking.ServiceDefaults.Security;
using MassTransit;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Banking.Orchestrator.Apis;

/// <summary>
/// What an operator does to a transfer: retry its pending step now, or abort it safely. Both are messages to the
/// saga, which records them in the timeline with the operator's name; these endpoints only check that the
/// transfer exists and is still in flight, so that an operator gets a clear answer instead of a silent no-op.
/// </summary>
public static class OperatorApi
{
    public sealed record OperatorActionRequest(string? Reason);

    public static IEndpointRouteBuilder MapOperatorApi(this IEndpointRouteBuilder app)
    {
        var transfers = app.MapGroup("/api/v1/operator/transfers").RequireAuthorization(Policies.Operators);
        transfers.MapPost("/{transferId}/retry", (string transferId, [FromBody] OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, IPublishEndpoint bus, CancellationToken ct) =>
            ActAsync(transferId, body, user, db, ct, (operatorName, reason) => bus.Publish(new RetryTransfer { TransferId = transferId, RequestedBy = operatorName, Reason = reason }, ct)));
        transfers.MapPost("/{transferId}/abort", (string transferId, [FromBody] OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, IPublishEndpoint bus, CancellationToken ct) =>
            ActAsync(transferId, body, user, db, ct, (operatorName, reason) => bus.Publish(new AbortTransfer { TransferId = transferId, RequestedBy = operatorName, Reason = reason }, ct)));
        return app;
    }

    /// <summary>Checks the transfer can take the action, then sends it with the operator's name; shared with the dashboard.</summary>
    public static async Task<IResult> ActAsync(string transferId, OperatorActionRequest? body, ClaimsPrincipal user, CoreDbContext db, CancellationToken ct, Func<string, string, Task> send)
    {
        if (!TransferRules.IsValidTransferId(transferId))
            return OperatorErrors.Validation("transfer_id", "transfer_id must be 1 to 50 characters of A-Z, a-z, 0-9, '_' or '-'");
        var reason = body?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 500)
            return OperatorErrors.Validation("reason", "reason is required (1 to 500 characters): it goes into the transfer's audit timeline");

        var transfer = await db.Transfers.AsNoTracking().Where(t => t.TransferId == transferId)
            .Select(t => new { t.CurrentState, t.Status }).SingleOrDefaultAsync(ct);
        if (transfer is null) return OperatorErrors.NotFound(transferId);
        if (!TransferStateMachine.InFlightStates.Contains(transfer.CurrentState))
            return OperatorErrors.AlreadyFinal(transferId, transfer.Status ?? transfer.CurrentState);

        var operatorName = user.FindFirst(BankingClaims.Name)?.Value ?? user.FindFirst(BankingClaims.Subject)?.Value ?? "operator";
        await send(operatorName, reason);
        return Results.Accepted($"/api/v1/operator/transfers/{transferId}", new { transfer_id = transferId, state = transfer.CurrentState, accepted = true });
    }
}
