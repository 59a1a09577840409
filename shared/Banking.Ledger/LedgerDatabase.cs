using Banking.Ledger.Data;
using Microsoft.EntityFrameworkCore;

namespace Banking.Ledger;

/// <summary>Schema and demo data for one ledger database.</summary>
public static class LedgerDatabase
{
    public static Task MigrateAsync(this LedgerDbContext db, CancellationToken cancellationToken = default) =>
        db.Database.MigrateAsync(cancellationToken);

    /// <summary>
    /// Creates the accounts that do not exist yet with their opening balance. An account already present is left
    /// exactly as it is (its balance may have moved since), so seeding twice changes nothing.
    /// </summary>
    public static async Task<int> SeedAsync(this LedgerDbContext db, IEnumerable<DemoAccount> accounts, CancellationToken cancellationToken = default)
    {
        var created = 0;
        foreach (var chunk in accounts.Chunk(500))
        {
            var numbers = chunk.Select(a => a.AccountNo).ToList();
            var existing = await db.Accounts.AsNoTracking().Where(a => numbers.Contains(a.BaseAcctNo)).Select(a => a.BaseAcctNo).ToListAsync(cancellationToken);
            var missing = chunk.Where(a => !existing.Contains(a.AccountNo)).ToList();
            if (missing.Count == 0) continue;

            var now = DateTime.UtcNow;
            foreach (var account in missing)
            {
                db.Accounts.Add(new Account
                {
                    InternalKey = account.InternalKey,
                    ClientNo = account.ClientNo,
                    BaseAcctNo = account.AccountNo,
                    AcctName = account.Name,
                    AcctCcy = account.Currency,
                    AcctStatus = account.Status,
                    AcctBranch = "0001",
                    AcctOpenDate = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                });
                db.Balances.Add(new AccountBalanceRow
                {
                    InternalKey = account.InternalKey,
                    ClientNo = account.ClientNo,
                    TotalAmount = account.OpeningBalance,
                    LastChangeDate = now,
                });
            }

            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
            created += missing.Count;
        }

        return created;
    }

    public static Task<int> SeedDemoAccountsAsync(this LedgerDbContext db, LedgerDatabaseId database, CancellationToken cancellationToken = default) =>
        db.SeedAsync(DemoAccounts.In(database), cancellationToken);
}
