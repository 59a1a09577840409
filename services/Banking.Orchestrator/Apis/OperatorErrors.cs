using Banking.ServiceDefaults;

namespace Banking.Orchestrator.Apis;

/// <summary>The operator API's and the dashboard's errors, in the seed's format (<see cref="ApiError"/>).</summary>
public static class OperatorErrors
{
    public static IResult Validation(string field, string message) =>
        new ApiError(StatusCodes.Status400BadRequest, ErrorCodes.ValidationError, message, new Dictionary<string, object?> { ["field"] = field });

    public static IResult NotFound(string transferId) =>
        new ApiError(StatusCodes.Status404NotFound, ErrorCodes.TransferNotFound, $"Transfer {transferId} does not exist", new Dictionary<string, object?> { ["transfer_id"] = transferId });

    public static IResult AlreadyFinal(string transferId, string status) =>
        new ApiError(StatusCodes.Status409Conflict, ErrorCodes.TransferFinal, $"Transfer {transferId} is already final ({status}); nothing to retry or abort",
            new Dictionary<string, object?> { ["transfer_id"] = transferId, ["transfer_status"] = status });

    public static IResult ApprovalPending(string transferId, string action, string? requestedBy) =>
        new ApiError(StatusCodes.Status409Conflict, ErrorCodes.ApprovalPending,
            $"Transfer {transferId} has a {action.ToLowerInvariant()} asked by {requestedBy} waiting for a second operator; approve or reject it first",
            new Dictionary<string, object?> { ["transfer_id"] = transferId, ["pending_action"] = action, ["requested_by"] = requestedBy });

    public static IResult NoApprovalPending(string transferId, string action) =>
        new ApiError(StatusCodes.Status409Conflict, ErrorCodes.NoApprovalPending,
            $"No {action.ToLowerInvariant()} of transfer {transferId} is waiting for approval",
            new Dictionary<string, object?> { ["transfer_id"] = transferId, ["action"] = action });

    public static IResult SelfApproval(string transferId, string action) =>
        new ApiError(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden,
            $"The operator who asked for the {action.ToLowerInvariant()} of transfer {transferId} cannot approve it; another operator must",
            new Dictionary<string, object?> { ["transfer_id"] = transferId, ["action"] = action, ["rule"] = "four_eyes" });

    public static IResult CsrfTokenInvalid() =>
        new ApiError(StatusCodes.Status400BadRequest, ErrorCodes.CsrfTokenInvalid, "the page's security token is missing or stale; reload the page",
            new Dictionary<string, object?> { ["field"] = "X-CSRF-TOKEN" });
}
