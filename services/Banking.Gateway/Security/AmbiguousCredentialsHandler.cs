using System.Text.Encodings.Web;
using Banking.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Banking.Gateway.Security;

/// <summary>
/// A request that carries both an <c>Authorization</c> header and an <c>X-Api-Key</c>. Picking one of them would let
/// a caller borrow the other's rights (a customer token beside a channel key moved another customer's money), so
/// such a request is never authenticated and a protected endpoint answers 401 saying why.
/// </summary>
public sealed class AmbiguousCredentialsHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AmbiguousCredentials";

    public static bool Applies(HttpRequest request) =>
        request.Headers.ContainsKey(HeaderNames.Authorization) && request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Fail("both a bearer token and an API key were presented"));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        new ApiError(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
                "Send either a bearer token (Authorization) or an API key (X-Api-Key), not both")
            .ExecuteAsync(Context);
}
