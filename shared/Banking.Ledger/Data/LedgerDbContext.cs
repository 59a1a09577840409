using Banking.Messaging;
using Banking.Messaging.Audit;
using Banking.Messaging.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Banking.Ledger.Data;

/// <summary>
/// A ledger database (<c>bank_db1</c> or <c>bank_db2</c>: both have this schema). The seed's tables keep their
/// names, columns, types, defaults and indexes exactly; what we add lives in new tables.
/// </summary>
public class LedgerDbContext(DbContextOptions<LedgerDbContext> options) : DbContext(options)
{
    public const string MigrationsHistoryTable = "__ledger_migrations";

    public DbSet<Account> Accounts => Set<Account>();
    public DbSet<AccountBalanceRow> Balances => Set<AccountBalanceRow>();
    public DbSet<TransactionHistory> History => Set<TransactionHistory>();
    public DbSet<LedgerOperationClaim> Operations => Set<LedgerOperationClaim>();
    public DbSet<DailyOutgoing> DailyOutgoing => Set<DailyOutgoing>();
    public DbSet<DailyLimit> DailyLimits => Set<DailyLimit>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Account>(a =>
        {
            a.ToTable("rb_acct");
            a.HasKey(x => x.InternalKey);
            a.Property(x => x.InternalKey).HasColumnName("INTERNAL_KEY").HasColumnType("bigint").ValueGeneratedNever();
            a.Property(x => x.ClientNo).HasColumnName("CLIENT_NO").HasColumnType("varchar(20)").IsRequired();
            a.Property(x => x.BaseAcctNo).HasColumnName("BASE_ACCT_NO").HasColumnType("varchar(50)").IsRequired();
            a.Property(x => x.AcctName).HasColumnName("ACCT_NAME").HasColumnType("varchar(200)");
            a.Property(x => x.AcctCcy).HasColumnName("ACCT_CCY").HasColumnType("varchar(3)").HasDefaultValueSql("'CNY'");
            a.Property(x => x.AcctStatus).HasColumnName("ACCT_STATUS").HasColumnType("char(1)").HasDefaultValueSql("'A'");
            a.Property(x => x.AcctBranch).HasColumnName("ACCT_BRANCH").HasColumnType("varchar(20)");
            a.Property(x => x.AcctOpenDate).HasColumnName("ACCT_OPEN_DATE").HasColumnType("datetime");
            a.Property(x => x.TranTimestamp).HasColumnName("TRAN_TIMESTAMP").HasColumnType("timestamp").HasDefaultValueSql("CURRENT_TIMESTAMP");
            a.HasIndex(x => x.BaseAcctNo, "idx_base_acct_no");
            a.HasIndex(x => x.ClientNo, "idx_client_no");
        });

        modelBuilder.Entity<AccountBalanceRow>(b =>
        {
            b.ToTable("rb_acct_balance");
            b.HasKey(x => x.InternalKey);
            b.Property(x => x.InternalKey).HasColumnName("INTERNAL_KEY").HasColumnType("bigint").ValueGeneratedNever();
            b.Property(x => x.ClientNo).HasColumnName("CLIENT_NO").HasColumnType("varchar(20)").IsRequired();
            b.Property(x => x.TotalAmount).HasColumnName("TOTAL_AMOUNT").HasColumnType("decimal(20,2)").HasDefaultValueSql("'0.00'");
            b.Property(x => x.LastChangeDate).HasColumnName("LAST_CHANGE_DATE").HasColumnType("datetime");
            b.Property(x => x.TranTimestamp).HasColumnName("TRAN_TIMESTAMP").HasColumnType("timestamp").HasDefaultValueSql("CURRENT_TIMESTAMP");

            // The seed's FOREIGN KEY has no name, so MySQL calls it rb_acct_balance_ibfk_1; the same name here.
            b.HasOne<Account>().WithOne().HasForeignKey<AccountBalanceRow>(x => x.InternalKey)
                .HasConstraintName("rb_acct_balance_ibfk_1").OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<TransactionHistory>(h =>
        {
            h.ToTable("rb_tran_hist");
            h.HasKey(x => x.SeqNo);
            h.Property(x => x.SeqNo).HasColumnName("SEQ_NO").HasColumnType("varchar(50)").ValueGeneratedNever();
            h.Property(x => x.InternalKey).HasColumnName("INTERNAL_KEY").HasColumnType("bigint");
            h.Property(x => x.ClientNo).HasColumnName("CLIENT_NO").HasColumnType("varchar(20)");
            h.Property(x => x.BaseAcctNo).HasColumnName("BASE_ACCT_NO").HasColumnType("varchar(50)");
            h.Property(x => x.TranType).HasColumnName("TRAN_TYPE").HasColumnType("varchar(10)");
            h.Property(x => x.TranAmt).HasColumnName("TRAN_AMT").HasColumnType("decimal(20,2)");
            h.Property(x => x.PreviousBalAmt).HasColumnName("PREVIOUS_BAL_AMT").HasColumnType("decimal(20,2)");
            h.Property(x => x.ActualBal).HasColumnName("ACTUAL_BAL").HasColumnType("decimal(20,2)");
            h.Property(x => x.CrDrInd).HasColumnName("CR_DR_IND").HasColumnType("char(1)");
            h.Property(x => x.TranDate).HasColumnName("TRAN_DATE").HasColumnType("datetime");
            h.Property(x => x.Reference).HasColumnName("REFERENCE").HasColumnType("varchar(50)");
            h.Property(x => x.Narrative).HasColumnName("NARRATIVE").HasColumnType("varchar(500)");
            h.Property(x => x.TranStatus).HasColumnName("TRAN_STATUS").HasColumnType("char(1)").HasDefaultValueSql("'N'");
            h.Property(x => x.TranTimestamp).HasColumnName("TRAN_TIMESTAMP").HasColumnType("timestamp").HasDefaultValueSql("CURRENT_TIMESTAMP");
            h.HasIndex(x => x.InternalKey, "idx_internal_key");
            h.HasIndex(x => x.Reference, "idx_reference");
            h.HasIndex(x => x.TranDate, "idx_tran_date");
        });

        modelBuilder.Entity<LedgerOperationClaim>(o =>
        {
            o.ToTable("ledger_operation");
            o.HasKey(x => x.Id);
            o.Property(x => x.Id).HasColumnName("id");
            o.Property(x => x.TransferId).HasColumnName("transfer_id").HasColumnType("varchar(50)").IsRequired();
            o.Property(x => x.Operation).HasColumnName("operation").HasColumnType("varchar(16)").IsRequired();
            o.Property(x => x.AccountNo).HasColumnName("account_no").HasColumnType("varchar(50)").IsRequired();
            o.Property(x => x.Amount).HasColumnName("amount").HasColumnType("decimal(20,2)");
            o.Property(x => x.Currency).HasColumnName("currency").HasColumnType("varchar(3)").IsRequired();
            o.Property(x => x.Outcome).HasColumnName("outcome").HasColumnType("varchar(16)").IsRequired();
            o.Property(x => x.ReasonCode).HasColumnName("reason_code").HasColumnType("varchar(40)");
            o.Property(x => x.Reason).HasColumnName("reason").HasColumnType("varchar(500)");
            o.Property(x => x.AvailableBalance).HasColumnName("available_balance").HasColumnType("decimal(20,2)");
            o.Property(x => x.RemainingAllowance).HasColumnName("remaining_allowance").HasColumnType("decimal(20,2)");
            o.Property(x => x.BalanceBefore).HasColumnName("balance_before").HasColumnType("decimal(20,2)");
            o.Property(x => x.BalanceAfter).HasColumnName("balance_after").HasColumnType("decimal(20,2)");
            o.Property(x => x.SeqNo).HasColumnName("seq_no").HasColumnType("varchar(50)");
            o.Property(x => x.CreatedAt).HasColumnName("created_at").HasColumnType("datetime(6)");
            o.HasIndex(x => new { x.TransferId, x.Operation }, "ux_ledger_operation_transfer_operation").IsUnique();
            o.HasIndex(x => x.CreatedAt, "idx_ledger_operation_created_at");
            // An account's statement, newest first, a page at a time: the claims of one account are inserted under its
            // row lock, so their ids are the order its entries were booked in (rb_tran_hist, kept as the seed has it,
            // orders them only to the millisecond of their SEQ_NO).
            o.HasIndex(x => new { x.AccountNo, x.Id }, "idx_ledger_operation_account_id");
        });

        modelBuilder.Entity<DailyOutgoing>(d =>
        {
            d.ToTable("daily_outgoing");
            d.HasKey(x => new { x.Scope, x.ScopeKey, x.Currency, x.BusinessDate });
            d.Property(x => x.Scope).HasColumnName("scope").HasColumnType("varchar(8)");
            d.Property(x => x.ScopeKey).HasColumnName("scope_key").HasColumnType("varchar(50)");
            d.Property(x => x.Currency).HasColumnName("currency").HasColumnType("varchar(3)");
            d.Property(x => x.BusinessDate).HasColumnName("business_date").HasColumnType("date");
            d.Property(x => x.Amount).HasColumnName("amount").HasColumnType("decimal(20,2)");
            d.Property(x => x.UpdatedAt).HasColumnName("updated_at").HasColumnType("datetime(6)");
        });

        modelBuilder.Entity<DailyLimit>(l =>
        {
            l.ToTable("daily_limit");
            l.HasKey(x => new { x.Scope, x.ScopeKey, x.Currency });
            l.Property(x => x.Scope).HasColumnName("scope").HasColumnType("varchar(8)");
            l.Property(x => x.ScopeKey).HasColumnName("scope_key").HasColumnType("varchar(50)");
            l.Property(x => x.Currency).HasColumnName("currency").HasColumnType("varchar(3)");
            l.Property(x => x.Limit).HasColumnName("daily_limit").HasColumnType("decimal(20,2)");
            l.Property(x => x.UpdatedAt).HasColumnName("updated_at").HasColumnType("datetime(6)");
        });

        modelBuilder.AddTransactionalOutbox();
        modelBuilder.AddAuditTrail();
    }
}
