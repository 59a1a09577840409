using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Banking.Gateway.Transfers;

public enum ClaimOutcome
{
    /// <summary>This request is the first with its reference (as far as Redis remembers).</summary>
    Claimed,

    /// <summary>The reference was seen with the same body: a replay.</summary>
    SameRequest,

    /// <summary>The reference was seen with another body.</summary>
    OtherRequest,

    /// <summary>Redis did not answer; the caller falls back to the orchestrator's record.</summary>
    Unavailable,
}

/// <summary>
/// <c>idem:{reference}</c> → request hash, claimed with SET NX and a TTL. The saga is the real guard against a
/// second debit (it dedupes by transfer id); this store tells replays from conflicting requests quickly.
/// </summary>
public sealed class IdempotencyStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<GatewayOptions> options, ILogger<IdempotencyStore> logger)
{
    // One round trip: claim, or tell what was claimed before.
    private const string ClaimScript = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return '' end
        return redis.call('GET', KEYS[1]) or ''
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    public async Task<(ClaimOutcome Outcome, string? ExistingHash)> ClaimAsync(string reference, string requestHash)
    {
        try
        {
            var ttl = (long)options.Value.IdempotencyTtl.TotalMilliseconds;
            var existing = (string?)await redis.GetDatabase().ScriptEvaluateAsync(ClaimScript, [keys.Idempotency(reference)], [requestHash, ttl]);
            if (string.IsNullOrEmpty(existing)) return (ClaimOutcome.Claimed, null);
            return existing == requestHash ? (ClaimOutcome.SameRequest, existing) : (ClaimOutcome.OtherRequest, existing);
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            logger.LogWarning(e, "Redis unavailable for the idempotency key of {TransferId}; falling back to the orchestrator's record", reference);
            return (ClaimOutcome.Unavailable, null);
        }
    }

    /// <summary>The publish failed: forget the claim so that a retry with the same reference goes through.</summary>
    public async Task ReleaseAsync(string reference, string requestHash)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [keys.Idempotency(reference)], [requestHash]);
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            // The key expires on its own; until then a retry is told it is a replay and publishes again, which is harmless.
            logger.LogWarning(e, "Could not release the idempotency key of {TransferId}", reference);
        }
    }

    /// <summary>The orchestrator knows the reference with another hash (Redis had lost it): remember the real one.</summary>
    public async Task RememberAsync(string reference, string requestHash)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync(keys.Idempotency(reference), requestHash, options.Value.IdempotencyTtl);
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            logger.LogWarning(e, "Could not store the idempotency key of {TransferId}", reference);
        }
    }
}
