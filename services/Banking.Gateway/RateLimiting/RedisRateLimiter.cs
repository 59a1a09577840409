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
public sealed class RedisRateLimiter(
    RequestDelegate next,
    IConnectionMultiplexer redis,
    RedisKeys keys,
    IOptionsMonitor<RateLimitOptions> options,
    ILogger<RedisRateLimiter> logger)
{
    // The first request of a window starts its clock; the key's remaining life is the Retry-After.
    private const string CountScript = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return { count, redis.call('PTTL', KEYS[1]) }
        """;

    private long lastWarningTicks;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }

        var caller = context.User.Identity?.IsAuthenticated == true ? Caller.From(context.User) : null;
        var limit = TierFor(caller, options.CurrentValue);
        var partition = Partition(caller, context);
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(CountScript,
                [keys.RateLimit(partition)], [(long)limit.Window.TotalMilliseconds]))!;
            var count = (long)result[0];
            var remainingMs = Math.Max(0, (long)result[1]);
            context.Response.Headers["X-RateLimit-Limit"] = limit.PermitLimit.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["X-RateLimit-Remaining"] = Math.Max(0, limit.PermitLimit - count).ToString(CultureInfo.InvariantCulture);
            if (count > limit.PermitLimit)
            {
                var retryAfter = Math.Max(1, (long)Math.Ceiling(remainingMs / 1000.0)).ToString(CultureInfo.InvariantCulture);
                await new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
                        $"Too many requests; at most {limit.PermitLimit} per {limit.Window.TotalSeconds:0.###} s. Retry after {retryAfter} s",
                        new Dictionary<string, object?> { ["retry_after_seconds"] = long.Parse(retryAfter, CultureInfo.InvariantCulture) })
                    .WithHeader("Retry-After", retryAfter)
                    .ExecuteAsync(context);
                return;
            }
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            // One warning per 10 s is enough to be seen without flooding the log during an outage.
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref lastWarningTicks);
            if (now - last > 10_000 && Interlocked.CompareExchange(ref lastWarningTicks, now, last) == last)
                logger.LogWarning(e, "Redis unavailable: rate limiting is off until it answers again");
        }

        await next(context);
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
