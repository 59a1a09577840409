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

    /// <summary>Redis did not answer; the request is published and the saga tells a replay from a conflicting request.</summary>
    Unavailable,
}

/// <summary>
/// <c>idem:{reference}</c> → request hash, claimed with SET NX and a TTL. The saga is the real guard against a
/// second debit (it dedupes by transfer id) and against a conflicting request under a known reference (it answers
/// <c>TransferRequestConflicted</c>); this store tells replays from conflicting requests without a publish.
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

    /// <summary>
    /// Claims the reference on <paramref name="redis"/>, which may be a batch: the command is queued before the first
    /// await, so the caller can execute the batch and then await this.
    /// </summary>
    public async Task<ClaimOutcome> ClaimAsync(string reference, string requestHash, IDatabaseAsync redis)
    {
        try
        {
            var ttl = (long)options.Value.IdempotencyTtl.TotalMilliseconds;
            var existing = (string?)await redis.ScriptEvaluateAsync(ClaimScript, [keys.Idempotency(reference)], [requestHash, ttl]);
            if (string.IsNullOrEmpty(existing)) return ClaimOutcome.Claimed;
            return existing == requestHash ? ClaimOutcome.SameRequest : ClaimOutcome.OtherRequest;
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            logger.LogWarning(e, "Redis unavailable for the idempotency key of {TransferId}; the saga alone tells a conflicting request", reference);
            return ClaimOutcome.Unavailable;
        }
    }

    /// <summary>
    /// Forgets the claim when it holds this request's hash: the publish failed (a retry with the same reference goes
    /// through), the request was refused before it was published, or the saga refused it as a conflict (Redis had lost
    /// the reference, and the hash it now holds is not the transfer's).
    /// </summary>
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
}
