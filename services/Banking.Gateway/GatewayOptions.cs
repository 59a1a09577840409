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

    /// <summary>How long a publish may take, broker confirm included, before the request fails with 503 and nothing started.</summary>
    [Range(100, 60_000)]
    public int PublishTimeoutMs { get; set; } = 5000;

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

    /// <summary>The durable queue, shared by all gateway instances, that drops cached balances on BalanceChanged.</summary>
    [Required]
    public string BalanceCacheQueue { get; set; } = "gateway-balance-cache";

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
        if (IdempotencyTtl < TimeSpan.FromMinutes(1))
            yield return new ValidationResult("Gateway:IdempotencyTtl must be at least a minute", [nameof(IdempotencyTtl)]);
    }
}

/// <summary>Fixed-window rate limit per client (section <c>RateLimit</c>).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    [Range(1, 1_000_000)]
    public int PermitLimit { get; set; } = 100;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
