using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Banking.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Banking.ServiceDefaults;

/// <summary>
/// The seed's error body, <c>{"error":{"code","message","details","timestamp","trace_id"}}</c>, for every service.
/// The names are fixed here, so the gateway's snake_case and the other services' web defaults write the same bytes.
/// </summary>
public sealed record ErrorResponse([property: JsonPropertyName("error")] ErrorBody Error);

public sealed record ErrorBody(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("details")] IReadOnlyDictionary<string, object?> Details,
    [property: JsonPropertyName("timestamp")] DateTime Timestamp,
    [property: JsonPropertyName("trace_id")] string TraceId);

/// <summary>
/// The error codes of HTTP answers. A transfer the ledger refused answers with its reason code instead
/// (<see cref="ReasonCodes"/>): those are contracts and travel from the ledger to the channel app unchanged.
/// </summary>
public static class ErrorCodes
{
    public const string ValidationError = ReasonCodes.ValidationError;
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string RateLimited = "RATE_LIMITED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";
    public const string TransferNotFound = "TRANSFER_NOT_FOUND";
    public const string DuplicateReference = "DUPLICATE_REFERENCE";

    /// <summary>An operator retry or abort of a transfer that is already SUCCESS, FAILED or ROLLBACK.</summary>
    public const string TransferFinal = "TRANSFER_FINAL";

    /// <summary>An operator action on a transfer that already has one waiting for a second operator.</summary>
    public const string ApprovalPending = "APPROVAL_PENDING";

    /// <summary>An approval or rejection of an operator action that nobody is waiting on.</summary>
    public const string NoApprovalPending = "NO_APPROVAL_PENDING";

    /// <summary>A dashboard form posted without the page's antiforgery token.</summary>
    public const string CsrfTokenInvalid = "CSRF_TOKEN_INVALID";
}

/// <summary>An error answer in the seed's format; also usable as a minimal-API result.</summary>
public sealed class ApiError(int status, string code, string message, IReadOnlyDictionary<string, object?>? details = null) : IResult
{
    private static readonly IReadOnlyDictionary<string, object?> NoDetails = new Dictionary<string, object?>();

    public int Status { get; } = status;
    public string Code { get; } = code;
    public string Message { get; } = message;
    public IReadOnlyDictionary<string, object?> Details { get; } = details ?? NoDetails;

    /// <summary>Headers to add (Retry-After, Idempotent-Replayed, ...).</summary>
    public Dictionary<string, string> Headers { get; } = [];

    public static ApiError Validation(string field, string message) =>
        new(StatusCodes.Status400BadRequest, ErrorCodes.ValidationError, $"{field} {message}", new Dictionary<string, object?> { ["field"] = field });

    public static ApiError Forbidden(string message = "You may not access this resource") =>
        new(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, message);

    public static ApiError Unavailable(string message, IReadOnlyDictionary<string, object?>? details = null) =>
        new(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, message, details);

    public ApiError WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        foreach (var (name, value) in Headers) response.Headers[name] = value;
        var json = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var body = new ErrorResponse(new ErrorBody(Code, Message, Details, ToTheSecond(DateTime.UtcNow), CurrentTraceId(httpContext)));
        response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, body, json, httpContext.RequestAborted);
    }

    /// <summary>The W3C trace id of the request, as OpenTelemetry exports it.</summary>
    public static string CurrentTraceId(HttpContext httpContext) =>
        Activity.Current is { } activity ? activity.TraceId.ToHexString() : httpContext.TraceIdentifier;

    // The seed's times are ISO-8601 UTC to the second: System.Text.Json writes a UTC DateTime without fraction that way.
    private static DateTime ToTheSecond(DateTime utc) => new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
