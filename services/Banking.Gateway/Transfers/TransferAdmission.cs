using Banking.Gateway.RateLimiting;
using Banking.ServiceDefaults;
using StackExchange.Redis;

namespace Banking.Gateway.Transfers;

/// <summary>What Redis said about a transfer request: its idempotency claim, and a 429 when the caller is over its limit.</summary>
public sealed record Admission(ClaimOutcome Claim, ApiError? TooManyRequests);

/// <summary>
/// The Redis work of a POST in one round trip: the caller's rate-limit count (left to this endpoint by
/// <see cref="RedisRateLimiter"/>) and the reference's claim, sent together as one batch. Both stay atomic on their own
/// (one Lua script each); they are not one script because their keys hash to different slots should Redis ever run
/// as a cluster. A request over its limit gives back a claim it has just taken, so the 429 leaves nothing behind.
/// </summary>
public sealed class TransferAdmission(IConnectionMultiplexer redis, RateLimitCounter rateLimit, IdempotencyStore idempotency)
{
    public async Task<Admission> AdmitAsync(HttpContext http, TransferInput input)
    {
        var deferred = http.Features.Get<DeferredRateLimit>();
        var batch = redis.GetDatabase().CreateBatch();
        var counted = deferred is not null && deferred.TakeForCounting()
            ? rateLimit.CountAsync(http, deferred.Allowance, batch)
            : Task.FromResult<ApiError?>(null);
        var claimed = idempotency.ClaimAsync(input.Reference, input.RequestHash, batch);
        try
        {
            batch.Execute();
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            // With no connection the batch is refused as a whole, before either command is sent: the same answer each
            // of them gives when Redis is away (no limit counted, no claim), as the fault suite's Redis restart showed.
            _ = counted.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            _ = claimed.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            return new Admission(ClaimOutcome.Unavailable, null);
        }

        var tooManyRequests = await counted;
        var claim = await claimed;
        if (tooManyRequests is not null) await WithdrawAsync(input, claim);
        return new Admission(claim, tooManyRequests);
    }

    /// <summary>The request is refused before it is published (429, or 403 for a customer's foreign account): no claim stays behind.</summary>
    public async Task WithdrawAsync(TransferInput input, ClaimOutcome claim)
    {
        if (claim == ClaimOutcome.Claimed) await idempotency.ReleaseAsync(input.Reference, input.RequestHash);
    }
}
