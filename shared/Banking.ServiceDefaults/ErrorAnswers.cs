using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Banking.ServiceDefaults;

/// <summary>
/// The seed's error body, <c>{"error":{"code","message","details","timestamp","trace_id"}}</c>, for the services
/// other than the gateway (which has its own, with the same shape).
/// </summary>
public static class ErrorAnswers
{
    public const string ValidationError = "VALIDATION_ERROR";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string InternalError = "INTERNAL_ERROR";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";

    public static IResult Result(int status, string code, string message, IDictionary<string, object?>? details = null) =>
        Results.Json(Body(code, message, details), statusCode: status, contentType: "application/json; charset=utf-8");

    public static object Body(string code, string message, IDictionary<string, object?>? details = null) => new
    {
        error = new
        {
            code,
            message,
            details = details ?? new Dictionary<string, object?>(),
            timestamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            trace_id = Activity.Current?.TraceId.ToString(),
        },
    };

    /// <summary>
    /// Outermost in the pipeline (inside the developer exception page, which therefore never sees an exception): an
    /// exception becomes 500 INTERNAL_ERROR without internals, an unreadable request its 4xx, and an empty 4xx/5xx
    /// set further in (unknown route, wrong method, failed challenge, forbidden) gets its body here.
    /// </summary>
    public static IApplicationBuilder UseErrorAnswers(this IApplicationBuilder app) => app.UseMiddleware<ErrorAnswersMiddleware>();

    internal static (string Code, string Message, IDictionary<string, object?>? Details) ForStatus(int status, HttpRequest request) => status switch
    {
        StatusCodes.Status400BadRequest => (ValidationError, "The request could not be read (malformed JSON or a value of the wrong type)", new Dictionary<string, object?> { ["field"] = "body" }),
        StatusCodes.Status401Unauthorized => (Unauthorized, "A valid bearer token (or dashboard session) is required", null),
        StatusCodes.Status403Forbidden => (Forbidden, "Your role does not allow this operation", null),
        StatusCodes.Status404NotFound => (NotFound, $"No resource at {request.Path}", null),
        StatusCodes.Status405MethodNotAllowed => (MethodNotAllowed, $"{request.Method} is not allowed on {request.Path}", null),
        StatusCodes.Status413PayloadTooLarge => (PayloadTooLarge, "The request body is too large", null),
        StatusCodes.Status415UnsupportedMediaType => (ValidationError, "Content-Type must be application/json", new Dictionary<string, object?> { ["field"] = "Content-Type" }),
        StatusCodes.Status503ServiceUnavailable => (ServiceUnavailable, "The service is unavailable", null),
        _ when status >= 500 => (InternalError, "An unexpected error occurred; quote the trace_id when reporting it", null),
        _ => (ValidationError, "The request could not be processed", null),
    };
}

internal sealed class ErrorAnswersMiddleware(RequestDelegate next, ILogger<ErrorAnswersMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            return;
        }
        catch (BadHttpRequestException e)
        {
            // Development throws what Production answers with a bare status (malformed JSON, wrong Content-Type).
            logger.LogInformation("{Method} {Path}: request refused with {Status}", context.Request.Method, context.Request.Path, e.StatusCode);
            await WriteAsync(context, e.StatusCode, clear: true);
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, clear: true);
            return;
        }

        var response = context.Response;
        if (response.HasStarted || response.StatusCode < 400 || response.ContentLength is not null || response.ContentType is not null) return;
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }) return;
        await WriteAsync(context, response.StatusCode, clear: false);
    }

    private async Task WriteAsync(HttpContext context, int status, bool clear)
    {
        if (context.Response.HasStarted)
        {
            logger.LogWarning("The response had started; the {Status} error body could not be written", status);
            return;
        }

        // A failed handler may have half-written headers; a bare status keeps its own (WWW-Authenticate, Allow, Set-Cookie).
        if (clear) context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var (code, message, details) = ErrorAnswers.ForStatus(status, context.Request);
        await JsonSerializer.SerializeAsync(context.Response.Body, ErrorAnswers.Body(code, message, details), JsonSerializerOptions.Web, context.RequestAborted);
    }
}
