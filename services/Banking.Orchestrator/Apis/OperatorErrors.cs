using Banking.ServiceDefaults;

namespace Banking.Orchestrator.Apis;

/// <summary>Errors in the seed's format (<c>error.code</c>, <c>message</c>, <c>details</c>, <c>timestamp</c>, <c>trace_id</c>).</summary>
public static class OperatorErrors
{
    public static IResult Validation(string field, string message) =>
        ErrorAnswers.Result(StatusCodes.Status400BadRequest, ErrorAnswers.ValidationError, message, new Dictionary<string, object?> { ["field"] = field });

    public static IResult NotFound(string transferId) =>
        ErrorAnswers.Result(StatusCodes.Status404NotFound, "TRANSFER_NOT_FOUND", $"Transfer {transferId} does not exist", new Dictionary<string, object?> { ["transfer_id"] = transferId });

    public static IResult AlreadyFinal(string transferId, string status) =>
        ErrorAnswers.Result(StatusCodes.Status409Conflict, "TRANSFER_FINAL", $"Transfer {transferId} is already final ({status}); nothing to retry or abort",
            new Dictionary<string, object?> { ["transfer_id"] = transferId, ["transfer_status"] = status });

    public static IResult CsrfTokenInvalid() =>
        ErrorAnswers.Result(StatusCodes.Status400BadRequest, "CSRF_TOKEN_INVALID", "the page's security token is missing or stale; reload the page",
            new Dictionary<string, object?> { ["field"] = "X-CSRF-TOKEN" });
}
