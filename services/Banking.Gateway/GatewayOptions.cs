using System.ComponentModel.DataAnnotations;
using Banking.Contracts;

namespace Banking.Gateway;

/// <summary>The gateway's own settings (section <c>Gateway</c>), validated at start.</summary>
public sealed class GatewayOptions : IValidatableObject
{
    public const string Section = "Gateway";

    /// <summary>How long POST /api/v1/transfer waits for the outcome before answering 202 PENDING.</summary>
    [Range(0, 60_000)]
    public int SyncWaitMs { get; set; } = 3000;

    /// <summary>
    /// How long a publish may take, broker confirm included. A message that never reached the broker by then is 503 "not
    /// started"; one on a channel without a confirm is answered from its outcome within <see cref="SyncWaitMs"/>, else 503
    /// "unknown, retry with the same reference".
    /// </summary>
    [Range(100, 60_000)]
    public int PublishTimeoutMs { get; set; } = 5000;

    /// <summary>The Retry-After of a 503 "outcome unknown": about the time a broker takes to come back after a restart.</summary>
    [Range(1, 600)]
    public int UnconfirmedRetryAfterSeconds { get; set; } = 5;

    /// <summary>How long the orchestrator and the ledgers may take to answer a query before the gateway answers 503.</summary>
    [Range(100, 60_000)]
    public int QueryTimeoutMs { get; set; } = 2000;

    /// <summary>Per-transfer limit; above it the answer is 422 LIMIT_EXCEEDED.</summary>
    [Range(typeof(decimal), "0.01", "999999999999999999.99")]
    public decimal MaxTransferAmount { get; set; } = 1_000_000.00m;

    /// <summary>ISO 4217 codes this platform serves. No default in code: a list bound onto a default would append to it.</summary>
    public string[] Currencies { get; set; } = [];

    /// <summary>Largest accepted request body; bigger ones get 413.</summary>
    [Range(256, 1_048_576)]
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    public TimeSpan BalanceCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <c>idem:{reference}</c> remembers a request's hash.</summary>
    public TimeSpan IdempotencyTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Put in front of every Redis key, so several deployments (or test runs) can share one Redis.</summary>
    public string RedisKeyPrefix { get; set; } = "";

    /// <summary>
    /// Secret (32+ bytes) from which the key that authenticates cached entries is derived; when empty, the shared
    /// Jwt:SigningKey is used. Must be the same on every gateway instance. Comes from the environment, never the repository.
    /// </summary>
    public string? CacheSigningKey { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Currencies.Length == 0)
            yield return new ValidationResult("Gateway:Currencies must list at least one currency", [nameof(Currencies)]);
        foreach (var currency in Currencies)
        {
            if (currency is not { Length: 3 } || !currency.All(char.IsAsciiLetterUpper))
                yield return new ValidationResult($"Gateway:Currencies: '{currency}' is not a 3-letter upper-case ISO 4217 code", [nameof(Currencies)]);
        }

        if (MaxTransferAmount != decimal.Round(MaxTransferAmount, 2) || MaxTransferAmount > TransferRules.MaxRepresentableAmount)
            yield return new ValidationResult("Gateway:MaxTransferAmount must have at most 2 decimals and fit DECIMAL(20,2)", [nameof(MaxTransferAmount)]);
        if (BalanceCacheTtl <= TimeSpan.Zero)
            yield return new ValidationResult("Gateway:BalanceCacheTtl must be positive", [nameof(BalanceCacheTtl)]);
        if (!string.IsNullOrEmpty(CacheSigningKey) && System.Text.Encoding.UTF8.GetByteCount(CacheSigningKey) < 32)
            yield return new ValidationResult("Gateway:CacheSigningKey must be at least 32 bytes", [nameof(CacheSigningKey)]);
        if (IdempotencyTtl < TimeSpan.FromMinutes(1))
            yield return new ValidationResult("Gateway:IdempotencyTtl must be at least a minute", [nameof(IdempotencyTtl)]);
    }
}

/// <summary>
/// Fixed-window rate limits (section <c>RateLimit</c>). <see cref="PermitLimit"/> per <see cref="Window"/> is the default,
/// for anonymous callers and roles without a tier; <see cref="Roles"/> gives a tier per role (a caller with several roles
/// gets the most generous of them) and <see cref="Clients"/> one per client (a token subject, or <c>api-key:NAME</c>).
/// A token that names customers (client_no) is counted per customer, whichever token of theirs is used; any other
/// caller per subject.
/// </summary>
public sealed class RateLimitOptions : IValidatableObject
{
    public const string Section = "RateLimit";

    [Range(1, 10_000_000)]
    public int PermitLimit { get; set; } = 100;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Tier per role (customer, channel, operator, auditor, admin). No defaults in code: appsettings.json ships them.</summary>
    public Dictionary<string, RateLimitTier> Roles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Tiers for single clients, above their role's.</summary>
    public List<ClientRateLimit> Clients { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var problem in RateLimitTier.Problems("RateLimit", PermitLimit, Window)) yield return new ValidationResult(problem, [nameof(Window)]);
        foreach (var (role, tier) in Roles)
        {
            if (!Banking.ServiceDefaults.Security.Roles.All.Contains(role))
                yield return new ValidationResult($"RateLimit:Roles: unknown role '{role}'", [nameof(Roles)]);
            foreach (var problem in RateLimitTier.Problems($"RateLimit:Roles:{role}", tier.PermitLimit, tier.Window))
                yield return new ValidationResult(problem, [nameof(Roles)]);
        }

        foreach (var client in Clients)
        {
            if (string.IsNullOrWhiteSpace(client.Subject)) yield return new ValidationResult("RateLimit:Clients: every entry needs a Subject", [nameof(Clients)]);
            foreach (var problem in RateLimitTier.Problems($"RateLimit:Clients '{client.Subject}'", client.PermitLimit, client.Window))
                yield return new ValidationResult(problem, [nameof(Clients)]);
        }

        if (Clients.GroupBy(c => c.Subject, StringComparer.Ordinal).Any(g => g.Count() > 1))
            yield return new ValidationResult("RateLimit:Clients: subjects must be unique", [nameof(Clients)]);
    }
}

public class RateLimitTier
{
    public int PermitLimit { get; set; }
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests per second, to compare tiers with different windows.</summary>
    public double Rate => PermitLimit / Window.TotalSeconds;

    internal static IEnumerable<string> Problems(string name, int permitLimit, TimeSpan window)
    {
        if (permitLimit is < 1 or > 10_000_000) yield return $"{name}: PermitLimit must be between 1 and 10,000,000";
        if (window < TimeSpan.FromSeconds(1) || window > TimeSpan.FromDays(1)) yield return $"{name}: Window must be between 1 second and 1 day";
    }
}

public sealed class ClientRateLimit : RateLimitTier
{
    /// <summary>The caller's <c>sub</c>: a token's subject, or <c>api-key:NAME</c> for an API key.</summary>
    public string Subject { get; set; } = "";
}
