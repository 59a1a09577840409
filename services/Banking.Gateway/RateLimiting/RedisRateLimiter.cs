using System.Globalization;
using Banking.Gateway.Security;
using Banking.ServiceDefaults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Banking.Gateway.RateLimiting;

/// <summary>
/// A fixed window per client, counted in Redis so that every gateway instance shares it. The limit is the caller's
/// tier (<see cref="RateLimitOptions"/>: per client, else the most generous of its roles', else the default). The
/// count is kept per customer when the token names customers (client_no), so a customer's tokens share one
/// allowance; otherwise per subject (the API key's or the token's), and for anonymous requests per remote address.
/// When Redis is down requests are let through (rate limiting must not take the API down) and a warning is logged;
/// the readiness check reports Redis separately.
/// </summary>
public sealed class RedisRateLimiter(RequestDelegate next, IConnectionMultiplexer redis, RateLimitCounter counter)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }

        var allowance = counter.AllowanceFor(context);
        if (context.GetEndpoint()?.Metadata.GetMetadata<CountedWithTheClaim>() is not null)
        {
            // The endpoint counts the request in the round trip of its idempotency claim. One that ends before it gets
            // there (401, 400, 413) is counted here afterwards, so that such requests still use up the allowance.
            var deferred = new DeferredRateLimit(allowance);
            context.Features.Set(deferred);
            try
            {
                await next(context);
            }
            finally
            {
                if (deferred.TakeForCounting()) await counter.CountAsync(context, allowance, redis.GetDatabase());
            }

            return;
        }

        if (await counter.CountAsync(context, allowance, redis.GetDatabase()) is { } refusal)
        {
            await refusal.ExecuteAsync(context);
            return;
        }

        await next(context);
    }
}

/// <summary>
/// Endpoint metadata: this endpoint counts the request against the rate limit itself, in one Redis round trip with
/// the rest of its Redis work (<see cref="DeferredRateLimit"/>), and answers 429 before it does anything that costs.
/// </summary>
public sealed class CountedWithTheClaim;

/// <summary>The count the middleware left to the endpoint; whoever takes it first sends it, exactly once.</summary>
public sealed class DeferredRateLimit(RateLimitAllowance allowance)
{
    private int taken;

    public RateLimitAllowance Allowance { get; } = allowance;

    public bool TakeForCounting() => Interlocked.Exchange(ref taken, 1) == 0;
}

/// <summary>The Redis counter a request is counted on and the tier it is held to.</summary>
public sealed record RateLimitAllowance(RedisKey Key, RateLimitTier Tier);

/// <summary>Counts a request in its window (one atomic Lua script) and turns the count into headers and a 429.</summary>
public sealed class RateLimitCounter(RedisKeys keys, IOptionsMonitor<RateLimitOptions> options, ILogger<RateLimitCounter> logger)
{
    // The first request of a window starts its clock; the key's remaining life is the Retry-After.
    private const string CountScript = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return { count, redis.call('PTTL', KEYS[1]) }
        """;

    private long lastWarningTicks;

    public RateLimitAllowance AllowanceFor(HttpContext context)
    {
        var caller = context.User.Identity?.IsAuthenticated == true ? Caller.From(context.User) : null;
        return new RateLimitAllowance(keys.RateLimit(Partition(caller, context)), TierFor(caller, options.CurrentValue));
    }

    /// <summary>
    /// Counts the request on <paramref name="redis"/>, which may be a batch: the command is queued before the first
    /// await, so the caller can execute the batch and then await this. The refusal to answer with, or null when the
    /// request is within its allowance or Redis did not answer.
    /// </summary>
    public async Task<ApiError?> CountAsync(HttpContext context, RateLimitAllowance allowance, IDatabaseAsync redis)
    {
        var limit = allowance.Tier;
        try
        {
            var result = (RedisResult[])(await redis.ScriptEvaluateAsync(CountScript, [allowance.Key], [(long)limit.Window.TotalMilliseconds]))!;
            var count = (long)result[0];
            var remainingMs = Math.Max(0, (long)result[1]);
            if (!context.Response.HasStarted)
            {
                context.Response.Headers["X-RateLimit-Limit"] = limit.PermitLimit.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["X-RateLimit-Remaining"] = Math.Max(0, limit.PermitLimit - count).ToString(CultureInfo.InvariantCulture);
            }

            if (count <= limit.PermitLimit) return null;
            var retryAfter = Math.Max(1, (long)Math.Ceiling(remainingMs / 1000.0)).ToString(CultureInfo.InvariantCulture);
            return new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
                    $"Too many requests; at most {limit.PermitLimit} per {limit.Window.TotalSeconds:0.###} s. Retry after {retryAfter} s",
                    new Dictionary<string, object?> { ["retry_after_seconds"] = long.Parse(retryAfter, CultureInfo.InvariantCulture) })
                .WithHeader("Retry-After", retryAfter);
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            // One warning per 10 s is enough to be seen without flooding the log during an outage.
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref lastWarningTicks);
            if (now - last > 10_000 && Interlocked.CompareExchange(ref lastWarningTicks, now, last) == last)
                logger.LogWarning(e, "Redis unavailable: rate limiting is off until it answers again");
            return null;
        }
    }

    private static RateLimitTier TierFor(Caller? caller, RateLimitOptions options)
    {
        if (caller?.Subject is { Length: > 0 } subject && options.Clients.FirstOrDefault(c => c.Subject == subject) is { } client) return client;
        var byRole = caller?.Roles.Select(role => options.Roles.GetValueOrDefault(role)).OfType<RateLimitTier>().MaxBy(tier => tier.Rate);
        return byRole ?? new RateLimitTier { PermitLimit = options.PermitLimit, Window = options.Window };
    }

    private static string Partition(Caller? caller, HttpContext context)
    {
        if (caller?.ClientNumbers.Count > 0) return "customer:" + string.Join(',', caller.ClientNumbers.Order(StringComparer.Ordinal));
        if (caller?.Subject is { Length: > 0 } subject) return "sub:" + subject;
        return "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }
}
