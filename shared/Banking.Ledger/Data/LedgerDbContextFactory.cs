using Banking.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Banking.Ledger.Data;

/// <summary>
/// For <c>dotnet ef migrations add</c> only: the migrations are generated for MariaDB 10.11 without a server,
/// and run unchanged on MySQL 8.0.
/// </summary>
public sealed class LedgerDbContextFactory : IDesignTimeDbContextFactory<LedgerDbContext>
{
    public LedgerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<LedgerDbContext>()
            .UseBankingMySql("Server=localhost;Database=bank_ledger_design", LedgerDbContext.MigrationsHistoryTable, MySqlServerVersions.DesignTime)
            .Options);
}
