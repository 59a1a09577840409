namespace Banking.Ledger;

/// <summary>Which of the two ledgers holds an account: DB1 (DebitService) or DB2 (CreditService).</summary>
public enum LedgerDatabaseId
{
    Db1 = 1,
    Db2 = 2,
}

/// <summary>An account the demo data and the load generator create, with its opening balance.</summary>
public sealed record DemoAccount(
    LedgerDatabaseId Database,
    long InternalKey,
    string AccountNo,
    string ClientNo,
    string Name,
    string Currency,
    string Status,
    decimal OpeningBalance);

/// <summary>
/// The seed's example accounts and a few more, the same on every machine, so the README's curl examples and the
/// dashboard's screenshots show the same numbers everywhere. Client numbers repeat across the two databases: one
/// customer banks with both.
/// </summary>
public static class DemoAccounts
{
    /// <summary>The seed's source account: DB1, 10,000.00 CNY.</summary>
    public const string SeedSource = "6230399991006371427";

    /// <summary>The seed's destination account: DB2.</summary>
    public const string SeedDestination = "6230399991006371428";

    public static readonly IReadOnlyList<DemoAccount> All =
    [
        new(LedgerDatabaseId.Db1, 1001, SeedSource, "C0001", "Zhang Wei", "CNY", "A", 10_000.00m),
        new(LedgerDatabaseId.Db1, 1002, "6230399991006371435", "C0002", "Li Na", "CNY", "A", 25_000.00m),
        new(LedgerDatabaseId.Db1, 1003, "6230399991006371443", "C0003", "Wang Fang", "CNY", "A", 500.00m),
        new(LedgerDatabaseId.Db1, 1004, "6230399991006371450", "C0004", "Chen Jie (frozen)", "CNY", "F", 8_000.00m),
        new(LedgerDatabaseId.Db1, 1005, "6230399991006371468", "C0005", "Liu Yang (USD)", "USD", "A", 3_000.00m),
        new(LedgerDatabaseId.Db2, 2001, SeedDestination, "C0006", "Zhao Min", "CNY", "A", 5_000.00m),
        new(LedgerDatabaseId.Db2, 2002, "6230399991006371476", "C0002", "Li Na", "CNY", "A", 1_000.00m),
        new(LedgerDatabaseId.Db2, 2003, "6230399991006371484", "C0007", "Sun Lei (closed)", "CNY", "C", 0.00m),
        new(LedgerDatabaseId.Db2, 2004, "6230399991006371492", "C0008", "Zhou Xin (dormant)", "CNY", "D", 2_000.00m),
        new(LedgerDatabaseId.Db2, 2005, "6230399991006371500", "C0005", "Liu Yang (USD)", "USD", "A", 100.00m),
    ];

    public static IEnumerable<DemoAccount> In(LedgerDatabaseId database) => All.Where(a => a.Database == database);

    /// <summary>
    /// <paramref name="count"/> active accounts for load tests, deterministic for a given <paramref name="prefix"/>
    /// (a digit string that keeps generated numbers apart from the demo ones and from other runs).
    /// </summary>
    public static IReadOnlyList<DemoAccount> Generate(LedgerDatabaseId database, int count, decimal openingBalance, string prefix = "88", string currency = "CNY")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (prefix.Length is 0 or > 8 || !prefix.All(char.IsAsciiDigit))
            throw new ArgumentException("The prefix is 1 to 8 digits.", nameof(prefix));

        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(count, 1_000_000_000);

        // The key spells out the whole prefix (its leading "1" keeps leading zeros apart: "5" and "05"), the
        // database and the index, so no two (database, prefix, index) share a key; at most 1 + 8 + 1 + 9 digits.
        var db = (int)database;
        var block = (long.Parse("1" + prefix) * 10 + db) * 1_000_000_000L;
        return [.. Enumerable.Range(1, count).Select(i => new DemoAccount(
            database,
            InternalKey: block + i,
            AccountNo: $"{prefix}{db}{i:D10}",
            ClientNo: $"L{prefix}{i:D8}",
            Name: $"Load test {db}-{i}",
            currency,
            "A",
            openingBalance))];
    }
}
