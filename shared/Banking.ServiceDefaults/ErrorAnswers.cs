using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Banking.ServiceDefaults;

/// <summary>The error middleware of the services other than the gateway (which has its own, with other messages).</summary>
public static class ErrorAnswers
{
    /// <summary>
    /// Outermost in the pipeline (inside the developer exception page, which therefore never sees an exception): an
    /// exception becomes 500 INTERNAL_ERROR without internals, an unreadable request its 4xx, and an empty 4xx/5xx
    /// set further in (unknown route, wrong method, failed challenge, forbidden) gets its body here.
    /// </summary>
    public static IApplicationBuilder UseErrorAnswers(this IApplicationBuilder app) => app.UseMiddleware<ErrorAnswersMiddleware>();

    internal static (string Code, string Message, IReadOnlyDictionary<string, object?>? Details) ForStatus(int status, HttpRequest request) => status switch
    {
        StatusCodes.Status400BadRequest => (ErrorCodes.ValidationError, "The request could not be read (malformed JSON or a value of the wrong type)", new Dictionary<string, object?> { ["field"] = "body" }),
        StatusCodes.Status401Unauthorized => (ErrorCodes.Unauthorized, "A valid bearer token (or dashboard session) is required", null),
        StatusCodes.Status403Forbidden => (ErrorCodes.Forbidden, "Your role does not allow this operation", null),
        StatusCodes.Status404NotFound => (ErrorCodes.NotFound, $"No resource at {request.Path}", null),
        StatusCodes.Status405MethodNotAllowed => (ErrorCodes.MethodNotAllowed, $"{request.Method} is not allowed on {request.Path}", null),
        StatusCodes.Status413PayloadTooLarge => (ErrorCodes.PayloadTooLarge, "The request body is too large", null),
        StatusCodes.Status415UnsupportedMediaType => (ErrorCodes.ValidationError, "Content-Type must be application/json", new Dictionary<string, object?> { ["field"] = "Content-Type" }),
        StatusCodes.Status503ServiceUnavailable => (ErrorCodes.ServiceUnavailable, "The service is unavailable", null),
        _ when status >= 500 => (ErrorCodes.InternalError, "An unexpected error occurred; quote the trace_id when reporting it", null),
        _ => (ErrorCodes.ValidationError, "The request could not be processed", null),
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
        var (code, message, details) = ErrorAnswers.ForStatus(status, context.Request);
        await new ApiError(status, code, message, details).ExecuteAsync(context);
    }
}
