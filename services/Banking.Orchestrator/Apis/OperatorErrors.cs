using System.Diagnostics;

namespace Banking.Orchestrator.Apis;

/// <summary>Errors in the seed's format (<c>error.code</c>, <c>message</c>, <c>details</c>, <c>timestamp</c>, <c>trace_id</c>).</summary>
public static class OperatorErrors
{
    public static IResult Validation(string field, string message) =>
        Error(StatusCodes.Status400BadRequest, "VALIDATION_ERROR", message, new Dictionary<string, object?> { ["field"] = field });

    public static IResult NotFound(string transferId) =>
        Error(StatusCodes.Status404NotFound, "TRANSFER_NOT_FOUND", $"Transfer {transferId} does not exist", new Dictionary<string, object?> { ["transfer_id"] = transferId });

    public static IResult AlreadyFinal(string transferId, string status) =>
        Error(StatusCodes.Status409Conflict, "TRANSFER_FINAL", $"Transfer {transferId} is already final ({status}); nothing to retry or abort",
            new Dictionary<string, object?> { ["transfer_id"] = transferId, ["transfer_status"] = status });

    private static IResult Error(int status, string code, string message, IDictionary<string, object?> details) =>
        Results.Json(new
        {
            error = new
            {
                code,
                message,
                details,
                timestamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                trace_id = Activity.Current?.TraceId.ToString(),
            },
        }, statusCode: status);
}
