using System.Diagnostics;
using System.Text.Json;
using Banking.Contracts;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Errors;

/// <summary>The seed's error body: <c>{"error":{"code","message","details","timestamp","trace_id"}}</c>.</summary>
public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody(string Code, string Message, IReadOnlyDictionary<string, object?> Details, DateTime Timestamp, string TraceId);

/// <summary>The error codes the gateway answers with (the ledger's reason codes pass through unchanged).</summary>
public static class ErrorCodes
{
    public const string ValidationError = ReasonCodes.ValidationError;
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string AccountNotFound = ReasonCodes.AccountNotFound;
    public const string TransferNotFound = "TRANSFER_NOT_FOUND";
    public const string DuplicateReference = "DUPLICATE_REFERENCE";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string InsufficientBalance = ReasonCodes.InsufficientBalance;
    public const string AccountRestricted = ReasonCodes.AccountRestricted;
    public const string CurrencyMismatch = ReasonCodes.CurrencyMismatch;
    public const string LimitExceeded = ReasonCodes.LimitExceeded;
    public const string RateLimited = "RATE_LIMITED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";

    /// <summary>HTTP status for a reason code that ended a transfer (TransferFailed / TransferRolledBack).</summary>
    public static int StatusForReason(string reasonCode) => reasonCode switch
    {
        ReasonCodes.ValidationError => StatusCodes.Status400BadRequest,
        ReasonCodes.AccountNotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status422UnprocessableEntity,
    };
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
        var body = new ErrorResponse(new ErrorBody(Code, Message, Details, Timestamps.Utc(DateTime.UtcNow), CurrentTraceId(httpContext)));
        response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, body, json, httpContext.RequestAborted);
    }

    /// <summary>The W3C trace id of the request, as OpenTelemetry exports it.</summary>
    public static string CurrentTraceId(HttpContext httpContext) =>
        Activity.Current is { } activity ? activity.TraceId.ToHexString() : httpContext.TraceIdentifier;
}

/// <summary>A dependency (broker, orchestrator, ledgers) did not answer in time: the request ends with 503.</summary>
public sealed class ServiceUnavailableException(string message, Exception? inner = null, IReadOnlyDictionary<string, object?>? details = null)
    : Exception(message, inner)
{
    public IReadOnlyDictionary<string, object?>? Details { get; } = details;
}
