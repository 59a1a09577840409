using Banking.Ledger.Commands;
using Banking.Ledger.Data;
using Banking.Ledger.Queries;
using Banking.Messaging;
using Banking.Messaging.Audit;
using Banking.Messaging.Groups;
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
    /// service's ledger commands behind the transactional outbox; <paramref name="queryQueue"/> answers read-only
    /// questions (balances, a transfer's rows, the outbox backlog) outside it. How durable each queue is lives in its
    /// definitions: <see cref="LedgerCommandEndpointDefinition"/>, <see cref="LedgerQueryConsumerDefinition{TConsumer}"/>;
    /// <paramref name="addLedgerConsumers"/> registers the command consumers with <see cref="LedgerCommandConsumerDefinition{TConsumer}"/>.
    /// </summary>
    public static IHostApplicationBuilder AddLedgerService(
        this IHostApplicationBuilder builder,
        LedgerDatabaseId database,
        string ledgerQueue,
        string queryQueue,
        Action<IBusRegistrationConfigurator> addLedgerConsumers)
    {
        builder.Services.AddOptions<LedgerOptions>().BindConfiguration(LedgerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.AddAuditTrail();
        builder.Services.AddSingleton(new LedgerIdentity(database));
        builder.Services.AddSingleton(new LedgerQueues(ledgerQueue, queryQueue));

        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not set: the ledger database of {database} is required.");
        // Options built once, not per message scope: they depend on nothing scoped.
        builder.Services.AddDbContext<LedgerDbContext>(options => options.UseBankingMySql(connectionString, LedgerDbContext.MigrationsHistoryTable, typeof(LedgerDbContext).Assembly),
            optionsLifetime: ServiceLifetime.Singleton);
        builder.Services.AddOptions<DailyLimitOptions>().BindConfiguration(DailyLimitOptions.Section)
            .Validate(limits => DailyLimitOptions.IsLimit(limits.AccountDefault) && DailyLimitOptions.IsLimit(limits.CustomerDefault),
                $"{DailyLimitOptions.Section}:AccountDefault and CustomerDefault must be amounts of at least 0.00 with at most 2 decimal places.")
            .ValidateOnStart();
        builder.Services.AddSingleton(services => new DailyLimitPolicy(services.GetRequiredService<IOptions<DailyLimitOptions>>().Value, services.GetRequiredService<BusinessCalendar>()));
        builder.Services.AddScoped(services => new LedgerOperations(services.GetRequiredService<LedgerDbContext>(), TimeProvider.System,
            services.GetService<GroupMembership>(), services.GetRequiredService<DailyLimitPolicy>()));
        builder.AddMySqlReadiness("ledger-db", ConnectionStringName);

        // Hosted services start one after the other in registration order: the schema is current before the bus
        // starts handing messages to consumers that depend on it.
        builder.Services.AddDatabaseInitializer(new DatabaseInitialization<LedgerDbContext>($"Ledger {database}",
            services => services.GetRequiredService<IOptions<LedgerOptions>>().Value.MigrateAtStart,
            SeedDemoAccountsAsync));

        builder.AddBankingBus(bus =>
        {
            bus.AddTransactionalOutbox<LedgerDbContext>();
            LedgerCommandEndpointDefinition.Register(bus);
            addLedgerConsumers(bus);
            bus.AddConsumer<GetAccountBalanceConsumer, LedgerQueryConsumerDefinition<GetAccountBalanceConsumer>>();
            bus.AddConsumer<GetLedgerEntriesConsumer, LedgerQueryConsumerDefinition<GetLedgerEntriesConsumer>>();
            bus.AddConsumer<GetAccountTransactionsConsumer, LedgerQueryConsumerDefinition<GetAccountTransactionsConsumer>>();
            bus.AddConsumer<GetLedgerStatusConsumer, LedgerQueryConsumerDefinition<GetLedgerStatusConsumer>>();
        });

        return builder;
    }

    /// <summary>Local and demo environments only: the demo accounts, created once, after the schema is current.</summary>
    private static async Task SeedDemoAccountsAsync(IServiceProvider services, LedgerDbContext db, CancellationToken cancellationToken)
    {
        if (!services.GetRequiredService<IOptions<LedgerOptions>>().Value.SeedDemoAccounts) return;
        var database = services.GetRequiredService<LedgerIdentity>().Database;
        var created = await db.SeedDemoAccountsAsync(database, cancellationToken);
        services.GetRequiredService<ILogger<DatabaseInitializer<LedgerDbContext>>>().LogInformation("Ledger {Database} demo accounts: {Created} created", database, created);
    }

    /// <summary>
    /// A ledger service's life, the same for DebitService and CreditService: the bank's defaults and the service's own
    /// parts (<paramref name="addService"/>, which calls <see cref="AddLedgerService"/>), then the <c>migrate</c>
    /// command, or serve until stopped. The result is the process's exit code.
    /// </summary>
    public static async Task<int> RunLedgerServiceAsync(string[] args, Action<IHostApplicationBuilder> addService)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        addService(builder);

        var app = builder.Build();
        if (DatabaseInitializerExtensions.IsMigrateCommand(args)) return await app.RunMigrateCommandAsync<LedgerDbContext>();
        if (DatabaseInitializerExtensions.IsVerifyAuditCommand(args)) return await app.RunVerifyAuditCommandAsync<LedgerDbContext>();

        app.UseErrorAnswers();
        app.MapDefaultEndpoints();
        await app.RunAsync();
        // Not 0: that would overwrite the exit code a component set while stopping the service (the outbox
        // watchdog's 75 after a stall), and the supervisor's Restart=on-failure would never see it.
        return Environment.ExitCode;
    }
}

/// <summary>Which ledger this process serves.</summary>
public sealed record LedgerIdentity(LedgerDatabaseId Database);
