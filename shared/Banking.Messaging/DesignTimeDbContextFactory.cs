using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Banking.Messaging;

/// <summary>
/// For <c>dotnet ef migrations add</c> only: the migrations are generated for MariaDB 10.11 without a server, and run
/// unchanged on MySQL 8.0. Each schema owner derives one beside its DbContext, where the EF tools look for it.
/// </summary>
public abstract class DesignTimeDbContextFactory<TContext>(string database, string historyTable, Func<DbContextOptions<TContext>, TContext> create)
    : IDesignTimeDbContextFactory<TContext>
    where TContext : DbContext
{
    public TContext CreateDbContext(string[] args) =>
        create(new DbContextOptionsBuilder<TContext>()
            .UseBankingMySql($"Server=localhost;Database={database}", historyTable, MySqlServerVersions.DesignTime)
            .Options);
}
