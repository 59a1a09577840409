using Banking.Messaging;

namespace Banking.Orchestrator.Data;

public sealed class CoreDbContextFactory()
    : DesignTimeDbContextFactory<CoreDbContext>("bank_core_design", CoreDbContext.MigrationsHistoryTable, options => new CoreDbContext(options));
