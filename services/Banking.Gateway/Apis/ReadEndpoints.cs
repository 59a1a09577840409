using Banking.Gateway.Audit;
using Banking.Gateway.Extensions;
using Banking.ServiceDefaults.Security;

namespace Banking.Gateway.Apis;

public static class ReadEndpoints
{
    /// <summary>
    /// A GET that only reads: open to <see cref="Policies.Readers"/> (customers for their own accounts only, and every
    /// staff role), and answering the same errors as every read: 400 a malformed id, 401/403, 404 unknown (or not the
    /// customer's), 429 the rate limit, 500, and 503 when the service that knows does not answer in time.
    /// </summary>
    /// <param name="audit">How the read is named in the audit trail, and what it looked at (an account number or a transfer id).</param>
    public static RouteHandlerBuilder MapRead<TResponse>(this IEndpointRouteBuilder api, string pattern, Delegate handler, string name, string summary, string description,
        (string Action, Func<HttpContext, string?> Subject) audit) =>
        api.MapGet(pattern, handler)
            .AddEndpointFilter(new AuditedReadFilter(audit.Action, audit.Subject))
            .WithName(name)
            .WithSummary(summary)
            .WithDescription(description)
            .RequireAuthorization(Policies.Readers)
            .Produces<TResponse>(StatusCodes.Status200OK)
            .ProducesErrors(400, 401, 403, 404, 429, 500, 503);
}
