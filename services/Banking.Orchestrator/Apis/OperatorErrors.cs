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

    public static IResult CsrfTokenInvalid() =>
        new ApiError(StatusCodes.Status400BadRequest, ErrorCodes.CsrfTokenInvalid, "the page's security token is missing or stale; reload the page",
            new Dictionary<string, object?> { ["field"] = "X-CSRF-TOKEN" });
}
