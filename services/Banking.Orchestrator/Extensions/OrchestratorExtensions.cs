using Banking.Contracts;
using Banking.Messaging;
using Banking.Messaging.Audit;
using Banking.Messaging.Outbox;
using Banking.Messaging.Sagas;
using Banking.Orchestrator.Audit;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.StateMachines;
using Banking.Orchestrator.Transfers;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Extensions;

public static class OrchestratorExtensions
{
    public const string ConnectionStringName = "Core";

    /// <summary>
    /// The transfer saga on <c>bank_core</c> (<c>ConnectionStrings:Core</c>): state machine behind the outbox, its
    /// deadline sweeper, the status queries, and the plain-JSON queue for upstream systems.
    /// </summary>
    public static IHostApplicationBuilder AddTransferOrchestration(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TransferOptions>().BindConfiguration(TransferOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.AddAuditTrail();
        builder.Services.AddOptions<CoreDatabaseOptions>().BindConfiguration(CoreDatabaseOptions.Section).ValidateOnStart();

        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not set: the orchestrator needs bank_core.");
        // Options built once, not per message scope: they depend on nothing scoped.
        builder.Services.AddDbContext<CoreDbContext>(options => options.UseBankingMySql(connectionString, CoreDbContext.MigrationsHistoryTable, typeof(CoreDbContext).Assembly),
            optionsLifetime: ServiceLifetime.Singleton);
        builder.AddMySqlReadiness("core-db", ConnectionStringName);

        // Before the bus: hosted services start in registration order, and the saga needs its tables.
        builder.Services.AddDatabaseInitializer(new DatabaseInitialization<CoreDbContext>("bank_core",
            services => services.GetRequiredService<IOptions<CoreDatabaseOptions>>().Value.MigrateAtStart));
        builder.Services.AddSingleton<TransferMetrics>();
        builder.Services.AddSingleton<ISagaCorrelation<TransferState>, TransferCorrelation>();
        builder.Services.AddHostedService<TransferDeadlineSweeper>();

        builder.AddBankingBus(bus =>
        {
            bus.AddTransactionalOutbox<CoreDbContext>();
            // Each endpoint's durability (retries, outbox) lives in the definition next to what it runs.
            bus.AddSagaStateMachine<TransferStateMachine, TransferState, TransferStateDefinition>()
                .MySqlRepository<TransferState, CoreDbContext>();
            bus.AddConsumer<GetTransferStatusConsumer, GetTransferStatusConsumerDefinition>();
            bus.AddConsumer<GetTransferListConsumer, GetTransferListConsumerDefinition>();
            bus.AddConsumer<UpstreamTransferRequestConsumer, UpstreamTransferRequestConsumerDefinition>();
            bus.AddConsumer<ReadsAuditedConsumer, ReadsAuditedConsumerDefinition>();
        });

        return builder;
    }

    /// <summary>
    /// Operators authenticate with the bank's tokens. Separation of duties: only <c>operator</c> acts on transfers;
    /// <c>admin</c> and <c>auditor</c> read (the dashboard), so an administrator's token cannot move money.
    /// </summary>
    public static IHostApplicationBuilder AddOperatorSecurity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme).AddBankingJwtBearer();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Operators, policy => policy.RequireAuthenticatedUser().RequireClaim(BankingClaims.Role, Roles.Operator));
        return builder;
    }
}
