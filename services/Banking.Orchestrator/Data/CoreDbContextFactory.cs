using Banking.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Banking.Orchestrator.Data;

/// <summary>For <c>dotnet ef migrations add</c> only: migrations are generated for MariaDB 10.11 without a server.</summary>
public sealed class CoreDbContextFactory : IDesignTimeDbContextFactory<CoreDbContext>
{
    public CoreDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CoreDbContext>()
            .UseBankingMySql("Server=localhost;Database=bank_core_design", CoreDbContext.MigrationsHistoryTable, MySqlServerVersions.DesignTime)
            .Options);
}
