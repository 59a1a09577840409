using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Banking.Messaging;

/// <summary>
/// Brings <typeparamref name="TContext"/>'s schema up to date (and runs its optional seeding) before the service takes
/// messages; the same work is the <c>migrate</c> command, for operators who change schemas before they roll out.
/// </summary>
public sealed class DatabaseInitializer<TContext>(
    IServiceScopeFactory scopes,
    DatabaseInitialization<TContext> initialization,
    ILogger<DatabaseInitializer<TContext>> logger) : IHostedService
    where TContext : DbContext
{
    public Task StartAsync(CancellationToken cancellationToken) => InitializeAsync(force: false, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <param name="force">Migrate even where configuration leaves migrations to the <c>migrate</c> command.</param>
    public async Task InitializeAsync(bool force, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        if (force || initialization.MigrateAtStart(scope.ServiceProvider))
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            await db.Database.MigrateAsync(cancellationToken);
            logger.LogInformation("{Database} schema is current ({Applied} migrations applied)", initialization.DatabaseName, pending);
        }

        if (initialization.Seed is { } seed) await seed(scope.ServiceProvider, db, cancellationToken);
    }
}

/// <summary>How one database is initialized: its name in the logs, whether to migrate at start, what to seed afterwards.</summary>
public sealed record DatabaseInitialization<TContext>(
    string DatabaseName,
    Func<IServiceProvider, bool> MigrateAtStart,
    Func<IServiceProvider, TContext, CancellationToken, Task>? Seed = null)
    where TContext : DbContext;

public static class DatabaseInitializerExtensions
{
    /// <summary>
    /// Registers the initializer as a hosted service. Hosted services start one after the other in registration order:
    /// register it before the bus, so the schema is current before consumers that depend on it get messages.
    /// </summary>
    public static IServiceCollection AddDatabaseInitializer<TContext>(this IServiceCollection services, DatabaseInitialization<TContext> initialization)
        where TContext : DbContext
    {
        services.AddSingleton(initialization);
        services.AddSingleton<DatabaseInitializer<TContext>>();
        services.AddHostedService(provider => provider.GetRequiredService<DatabaseInitializer<TContext>>());
        return services;
    }

    public static bool IsMigrateCommand(string[] args) => args is ["migrate", ..];

    public static bool IsVerifyAuditCommand(string[] args) => args is ["verify-audit", ..];

    /// <summary>
    /// The <c>verify-audit</c> command: walks the database's audit chains, prints the result as JSON and exits 0 when
    /// every chain is intact, 1 when one breaks (the first broken row of each chain is named).
    /// </summary>
    public static async Task<int> RunVerifyAuditCommandAsync<TContext>(this WebApplication app)
        where TContext : DbContext
    {
        await using (app)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TContext>();
            await using var connection = new MySqlConnector.MySqlConnection(db.Database.GetConnectionString());
            await connection.OpenAsync(app.Lifetime.ApplicationStopping);
            var result = await Audit.AuditVerifier.VerifyAsync(connection, app.Lifetime.ApplicationStopping);
            Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return result.Intact ? 0 : 1;
        }
    }

    /// <summary>Applies the migrations (and the seeding) and exits: the <c>migrate</c> command.</summary>
    public static async Task<int> RunMigrateCommandAsync<TContext>(this WebApplication app)
        where TContext : DbContext
    {
        // Disposed here because the command never runs the host, whose stop would: that also writes out the log lines
        // still in the buffer.
        await using (app)
        {
            await app.Services.GetRequiredService<DatabaseInitializer<TContext>>().InitializeAsync(force: true, app.Lifetime.ApplicationStopping);
            return 0;
        }
    }
}
