using Banking.Ledger;
using MySqlConnector;

namespace Banking.Benchmarks;

/// <summary>One transfer to make: the same shape for every system under test.</summary>
public sealed record TransferSpec(string Id, string From, string To, decimal Amount);

/// <summary>The benchmark's accounts (the same rows for the saga and the baselines) and how transfers pick them.</summary>
public sealed class Workload(IReadOnlyList<DemoAccount> sources, IReadOnlyList<DemoAccount> destinations, Settings settings, string runTag)
{
    public const decimal OpeningBalance = 1_000_000_000.00m;
    public const string Prefix = "77";

    private long counter;

    public IReadOnlyList<DemoAccount> Sources => sources;
    public IReadOnlyList<DemoAccount> Destinations => destinations;

    public static Workload Create(Settings settings, string runTag) => new(
        DemoAccounts.Generate(LedgerDatabaseId.Db1, settings.Accounts, OpeningBalance, Prefix),
        DemoAccounts.Generate(LedgerDatabaseId.Db2, settings.Accounts, OpeningBalance, Prefix),
        settings, runTag);

    public TransferSpec Next(string contention)
    {
        var random = Random.Shared;
        var hot = contention == "hotspot" && random.NextDouble() < settings.HotShare;
        var range = hot ? Math.Min(settings.HotAccounts, sources.Count) : sources.Count;
        var from = sources[random.Next(range)];
        var to = destinations[random.Next(hot ? Math.Min(settings.HotAccounts, destinations.Count) : destinations.Count)];
        var id = $"{runTag}-{Interlocked.Increment(ref counter):x}";
        return new TransferSpec(id, from.AccountNo, to.AccountNo, random.Next(1, 1000) / 100m);
    }

    /// <summary>Inserts the accounts into a ledger the services have already migrated, 1,000 rows per statement.</summary>
    public static async Task SeedAsync(string connectionString, IReadOnlyList<DemoAccount> accounts)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var chunk in accounts.Chunk(1000))
        {
            var acct = string.Join(",", chunk.Select(a =>
                $"({a.InternalKey},'{a.ClientNo}','{a.AccountNo}','{a.Name}','{a.Currency}','{a.Status}','0001','2025-01-01')"));
            var balance = string.Join(",", chunk.Select(a =>
                $"({a.InternalKey},'{a.ClientNo}',{a.OpeningBalance.ToString(System.Globalization.CultureInfo.InvariantCulture)},UTC_TIMESTAMP())"));
            await using var command = new MySqlCommand(
                "INSERT IGNORE INTO rb_acct (INTERNAL_KEY, CLIENT_NO, BASE_ACCT_NO, ACCT_NAME, ACCT_CCY, ACCT_STATUS, ACCT_BRANCH, ACCT_OPEN_DATE) VALUES " + acct + ";" +
                "INSERT IGNORE INTO rb_acct_balance (INTERNAL_KEY, CLIENT_NO, TOTAL_AMOUNT, LAST_CHANGE_DATE) VALUES " + balance + ";", connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
