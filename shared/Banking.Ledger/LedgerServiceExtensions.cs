using Banking.Ledger.Commands;
using Banking.Ledger.Data;
using Banking.Ledger.Queries;
using Banking.Messaging;
using Banking.Messaging.Outbox;
using Banking.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Banking.Ledger;

/// <summary>What DebitService and CreditService have in common: their database, its outbox and the balance queries.</summary>
public static class LedgerServiceExtensions
{
    public const string ConnectionStringName = "Ledger";

    /// <summary>
    /// The ledger database (<c>ConnectionStrings:Ledger</c>) and the bus: <paramref name="ledgerQueue"/> takes the
    /// service's ledger commands behind the transactional outbox; <paramref name="balanceQueue"/> answers read-only
    /// questions (balances, a transfer's rows, the outbox backlog) outside it. How durable each queue is lives in its
    /// definitions: <see cref="LedgerCommandEndpointDefinition"/>, <see cref="LedgerQueryConsumerDefinition{TConsumer}"/>;
    /// <paramref name="addLedgerConsumers"/> registers the command consumers with <see cref="LedgerCommandConsumerDefinition{TConsumer}"/>.
    /// </summary>
    public static IHostApplicationBuilder AddLedgerService(
        this IHostApplicationBuilder builder,
        LedgerDatabaseId database,
        string ledgerQueue,
        string balanceQueue,
        Action<IBusRegistrationConfigurator> addLedgerConsumers)
    {
        builder.Services.AddOptions<LedgerOptions>().BindConfiguration(LedgerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(new LedgerIdentity(database));
        builder.Services.AddSingleton(new LedgerQueues(ledgerQueue, balanceQueue));

        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not set: the ledger database of {database} is required.");
        builder.Services.AddDbContext<LedgerDbContext>(options => options.UseBankingMySql(connectionString, LedgerDbContext.MigrationsHistoryTable, typeof(LedgerDbContext).Assembly));
        builder.Services.AddScoped<LedgerOperations>();
        builder.AddMySqlReadiness("ledger-db", ConnectionStringName);

        // Hosted services start one after the other in registration order: the schema is current before the bus
        // starts handing messages to consumers that depend on it.
        builder.Services.AddHostedService<LedgerDatabaseInitializer>();

        builder.AddBankingBus(bus =>
        {
            bus.AddTransactionalOutbox<LedgerDbContext>();
            LedgerCommandEndpointDefinition.Register(bus);
            addLedgerConsumers(bus);
            bus.AddConsumer<GetAccountBalanceConsumer, LedgerQueryConsumerDefinition<GetAccountBalanceConsumer>>();
            bus.AddConsumer<GetLedgerEntriesConsumer, LedgerQueryConsumerDefinition<GetLedgerEntriesConsumer>>();
            bus.AddConsumer<GetLedgerStatusConsumer, LedgerQueryConsumerDefinition<GetLedgerStatusConsumer>>();
        });

        return builder;
    }

    /// <summary>
    /// Applies the migrations (and the demo accounts when configured) and exits: the <c>migrate</c> command, for
    /// operators who change schemas before they roll out a version.
    /// </summary>
    public static async Task<int> RunMigrateCommandAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var initializer = ActivatorUtilities.CreateInstance<LedgerDatabaseInitializer>(scope.ServiceProvider);
        await initializer.InitializeAsync(force: true, app.Lifetime.ApplicationStopping);
        return 0;
    }

    public static bool IsMigrateCommand(string[] args) => args is ["migrate", ..];
}

/// <summary>Which ledger this process serves.</summary>
public sealed record LedgerIdentity(LedgerDatabaseId Database);

/// <summary>Brings the schema up to date and seeds the demo accounts before the service takes messages.</summary>
internal sealed class LedgerDatabaseInitializer(
    IServiceScopeFactory scopes,
    IOptions<LedgerOptions> options,
    LedgerIdentity identity,
    ILogger<LedgerDatabaseInitializer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => InitializeAsync(force: false, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task InitializeAsync(bool force, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
        if (force || options.Value.MigrateAtStart)
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            await db.MigrateAsync(cancellationToken);
            logger.LogInformation("Ledger {Database} schema is current ({Applied} migrations applied)", identity.Database, pending.Count);
        }

        if (options.Value.SeedDemoAccounts)
        {
            var created = await db.SeedDemoAccountsAsync(identity.Database, cancellationToken);
            logger.LogInformation("Ledger {Database} demo accounts: {Created} created", identity.Database, created);
        }
    }
}
