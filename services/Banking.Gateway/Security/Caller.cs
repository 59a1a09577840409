using System.Security.Claims;
using Banking.ServiceDefaults.Security;

namespace Banking.Gateway.Security;

/// <summary>Who is calling, read once from the claims that JWTs and API keys both produce.</summary>
public sealed record Caller(string? Subject, string? Name, IReadOnlySet<string> Roles, IReadOnlySet<string> ClientNumbers, string? AuthMethod)
{
    public static Caller From(ClaimsPrincipal user) => new(
        user.FindFirstValue(BankingClaims.Subject),
        user.FindFirstValue(BankingClaims.Name),
        user.FindAll(BankingClaims.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
        user.FindAll(BankingClaims.ClientNo).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
        user.FindFirstValue(BankingClaims.AuthMethod));

    /// <summary>
    /// True when the only admitted role the caller holds is <c>customer</c>: it may then touch only accounts
    /// of its own CLIENT_NO. Any other admitted role (channel, operator, ...) sees every account.
    /// </summary>
    public bool IsLimitedToOwnAccounts(IEnumerable<string> admittedRoles) =>
        !admittedRoles.Any(role => role != Banking.ServiceDefaults.Security.Roles.Customer && Roles.Contains(role));

    /// <summary>The network address the request came from, for the audit trail (set where the request is at hand).</summary>
    public string? SourceAddress { get; init; }

    public bool Owns(string? clientNo) => clientNo is not null && ClientNumbers.Contains(clientNo);

    /// <summary>For the audit trail (TransferRequested.RequestedBy).</summary>
    public string Describe() => AuthMethod == "api_key"
        ? $"api-key:{Name}"
        : ClientNumbers.Count > 0 && Roles.Contains(Banking.ServiceDefaults.Security.Roles.Customer)
            ? $"client:{string.Join(',', ClientNumbers.Order(StringComparer.Ordinal))}"
            : $"{Subject ?? Name ?? "unknown"}";
}
