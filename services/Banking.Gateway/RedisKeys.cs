using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Banking.Gateway;

/// <summary>
/// Every Redis key the gateway uses, behind <c>Gateway:RedisKeyPrefix</c>. Keys used together in one Lua
/// script share a hash tag (<c>{...}</c>) so they stay in one slot should Redis ever run as a cluster.
/// </summary>
public sealed class RedisKeys(IOptions<GatewayOptions> options)
{
    private readonly string prefix = options.Value.RedisKeyPrefix;

    public RedisKey Idempotency(string reference) => $"{prefix}idem:{reference}";
    public RedisKey Balance(string accountNo) => $"{prefix}balance:{{{accountNo}}}";
    public RedisKey BalanceGeneration(string accountNo) => $"{prefix}balance-gen:{{{accountNo}}}";
    public RedisKey RateLimit(string partition) => $"{prefix}ratelimit:{partition}";

    /// <summary>Redis is down or slow: the exceptions StackExchange.Redis throws then.</summary>
    public static bool IsUnavailable(Exception e) => e is RedisException or RedisTimeoutException or TimeoutException;
}
