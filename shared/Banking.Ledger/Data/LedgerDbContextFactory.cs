using Banking.Messaging;

namespace Banking.Ledger.Data;

public sealed class LedgerDbContextFactory()
    : DesignTimeDbContextFactory<LedgerDbContext>("bank_ledger_design", LedgerDbContext.MigrationsHistoryTable, options => new LedgerDbContext(options));
