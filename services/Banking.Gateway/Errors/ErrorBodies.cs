using Banking.ServiceDefaults;
using Microsoft.AspNetCore.Http.Features;

namespace Banking.Gateway.Errors;

/// <summary>
/// The outermost middleware: every error leaves in the seed's format. Exceptions become 500 INTERNAL_ERROR
/// (or 503 when a dependency is unreachable) without internals; an empty 4xx/5xx set further in (unknown
/// route, wrong method, failed challenge, forbidden) gets its body here.
/// </summary>
public sealed class ErrorBodies(RequestDelegate next, ILogger<ErrorBodies> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ServiceUnavailableException e)
        {
            logger.LogWarning(e, "{Method} {Path}: a dependency is unavailable: {Reason}", context.Request.Method, context.Request.Path, e.Message);
            await WriteIfPossible(context, ApiError.Unavailable(e.Message, e.Details));
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            return;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteIfPossible(context, new ApiError(e.StatusCode, ErrorCodes.PayloadTooLarge, "The request body is too large"));
            return;
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await WriteIfPossible(context, new ApiError(StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, "An unexpected error occurred; quote the trace_id when reporting it"));
            return;
        }

        var response = context.Response;
        if (response.HasStarted || response.StatusCode < 400 || response.ContentLength is not null || response.ContentType is not null) return;
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }) return;

        var error = response.StatusCode switch
        {
            StatusCodes.Status401Unauthorized => new ApiError(401, ErrorCodes.Unauthorized, "A valid bearer token or API key is required"),
            StatusCodes.Status403Forbidden => ApiError.Forbidden("Your role does not allow this operation"),
            StatusCodes.Status404NotFound => new ApiError(404, ErrorCodes.NotFound, $"No resource at {context.Request.Path}"),
            StatusCodes.Status405MethodNotAllowed => new ApiError(405, ErrorCodes.MethodNotAllowed, $"{context.Request.Method} is not allowed on {context.Request.Path}"),
            StatusCodes.Status413PayloadTooLarge => new ApiError(413, ErrorCodes.PayloadTooLarge, "The request body is too large"),
            StatusCodes.Status415UnsupportedMediaType => new ApiError(415, ErrorCodes.ValidationError, "Content-Type must be application/json",
                new Dictionary<string, object?> { ["field"] = "Content-Type" }),
            StatusCodes.Status503ServiceUnavailable => ApiError.Unavailable("The service is unavailable"),
            var status => new ApiError(status, status >= 500 ? ErrorCodes.InternalError : ErrorCodes.ValidationError, "The request could not be processed"),
        };
        await error.ExecuteAsync(context);
    }

    private async Task WriteIfPossible(HttpContext context, ApiError error)
    {
        if (context.Response.HasStarted)
        {
            logger.LogWarning("The response had started; {Code} could not be written", error.Code);
            return;
        }

        // Keep headers that belong to the answer's meaning; drop anything half-written by the failed handler.
        var replayed = context.Response.Headers[TransferHeaders.IdempotentReplayed].ToString();
        context.Response.Clear();
        if (replayed.Length > 0) context.Response.Headers[TransferHeaders.IdempotentReplayed] = replayed;
        await error.ExecuteAsync(context);
    }
}
