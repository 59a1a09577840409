using System.Text.Json;
using Banking.Contracts;
using Banking.Contracts.Accounts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Banking.Gateway.Accounts;

/// <summary>An account as the gateway keeps it in Redis: enough for the balance body and the ownership check.</summary>
public sealed record CachedBalance(string AccountNo, decimal Balance, string? Currency, string? Status, string? ClientNo, DateTime? LastUpdatedUtc);

/// <summary>
/// Balances in Redis with a TTL, shared by all gateway instances. A miss asks the ledgers. Every entry is signed
/// (<see cref="CacheEntrySigner"/>): one that is unsigned, tampered with or moved under another account's key is a
/// miss, so the owner a customer is checked against is always one a ledger reported. The race between a
/// slow read and an invalidation is closed with a per-account generation: invalidation increments it and
/// deletes the entry; a read stores what it fetched only if the generation is still the one it saw before
/// asking the ledger, so a balance from before a change can never be written back after it.
/// </summary>
public sealed class BalanceCache(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    LedgerBalances ledgers,
    CacheEntrySigner signer,
    IOptions<GatewayOptions> options,
    ILogger<BalanceCache> logger)
{
    private const string SetIfUnchangedScript = """
        if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
          return 1
        end
        return 0
        """;

    private const string InvalidateScript = """
        redis.call('INCR', KEYS[2])
        redis.call('PEXPIRE', KEYS[2], ARGV[1])
        redis.call('DEL', KEYS[1])
        return 1
        """;

    /// <summary>
    /// A generation outlives any read in flight by far; it only has to exist long enough that an expired one cannot
    /// come back to a value a slow reader saw (INCR would restart at 1).
    /// </summary>
    private static readonly TimeSpan GenerationLifetime = TimeSpan.FromDays(1);

    public async Task<CachedBalance?> GetAsync(string accountNo, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        string generation = "0";
        var redisAnswered = true;
        try
        {
            var values = await db.StringGetAsync([keys.Balance(accountNo), keys.BalanceGeneration(accountNo)]);
            if (values[0].HasValue && Deserialize(accountNo, (string)values[0]!) is { } cached) return cached;
            if (values[1].HasValue) generation = (string)values[1]!;
        }
        catch (Exception e) when (RedisKeys.IsUnavailable(e))
        {
            logger.LogWarning(e, "Redis unavailable; reading the balance from the ledger");
            redisAnswered = false;
        }

        var account = await ledgers.FindAsync(accountNo, cancellationToken);
        if (account is null) return null;

        var snapshot = ToCached(account);
        if (redisAnswered)
        {
            try
            {
                await db.ScriptEvaluateAsync(SetIfUnchangedScript,
                    [keys.Balance(accountNo), keys.BalanceGeneration(accountNo)],
                    [generation, signer.Sign(keys.Balance(accountNo)!, JsonSerializer.Serialize(snapshot)), (long)options.Value.BalanceCacheTtl.TotalMilliseconds]);
            }
            catch (Exception e) when (RedisKeys.IsUnavailable(e))
            {
                logger.LogWarning(e, "Redis unavailable; the balance was not cached");
            }
        }

        return snapshot;
    }

    /// <summary>
    /// Drops the cached balances, in one round trip for all of them; called for every final transfer outcome. Account
    /// numbers no ledger could hold (a refused request's) are skipped: there is nothing cached under them to drop.
    /// </summary>
    public async Task InvalidateAsync(params string?[] accountNumbers)
    {
        var lifetime = (long)GenerationLifetime.TotalMilliseconds;
        var batch = redis.GetDatabase().CreateBatch();
        var dropped = accountNumbers.Where(TransferRules.IsValidAccountNo).Distinct(StringComparer.Ordinal).Select(accountNo =>
            batch.ScriptEvaluateAsync(InvalidateScript, [keys.Balance(accountNo!), keys.BalanceGeneration(accountNo!)], [lifetime])).ToList();
        if (dropped.Count == 0) return;
        batch.Execute();
        await Task.WhenAll(dropped);
    }

    private static CachedBalance ToCached(AccountBalance account) =>
        new(account.AccountNo, account.Balance, account.Currency, account.Status, account.ClientNo, account.LastUpdatedUtc);

    private CachedBalance? Deserialize(string accountNo, string entry)
    {
        var json = signer.Verify(keys.Balance(accountNo)!, entry);
        if (json is null)
        {
            logger.LogWarning("Ignoring a cached balance that is not signed by the gateway");
            return null;
        }

        try
        {
            var snapshot = JsonSerializer.Deserialize<CachedBalance>(json);
            return snapshot?.AccountNo == accountNo ? snapshot : null;
        }
        catch (JsonException e)
        {
            logger.LogWarning(e, "Ignoring an unreadable cached balance");
            return null;
        }
    }
}
