using Banking.Messaging.Audit;
using Banking.Messaging.Outbox;
using Banking.Orchestrator.StateMachines;
using Microsoft.EntityFrameworkCore;

namespace Banking.Orchestrator.Data;

/// <summary>
/// <c>bank_core</c>: the seed's <c>transfer_log</c> (one row per transfer, also the saga's state), the transfer
/// timeline, and the orchestrator's outbox and inbox.
/// </summary>
public class CoreDbContext(DbContextOptions<CoreDbContext> options) : DbContext(options)
{
    public const string MigrationsHistoryTable = "__core_migrations";

    public DbSet<TransferState> Transfers => Set<TransferState>();
    public DbSet<TransferEvent> TransferEvents => Set<TransferEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new TransferStateMap());

        modelBuilder.Entity<TransferEvent>(e =>
        {
            e.ToTable("transfer_event");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.TransferId).HasColumnName("transfer_id").HasColumnType("varchar(50)").IsRequired();
            e.Property(x => x.EventType).HasColumnName("event_type").HasColumnType("varchar(40)").IsRequired();
            e.Property(x => x.FromState).HasColumnName("from_state").HasColumnType("varchar(32)");
            e.Property(x => x.ToState).HasColumnName("to_state").HasColumnType("varchar(32)");
            e.Property(x => x.Details).HasColumnName("details").HasColumnType("varchar(1000)");
            e.Property(x => x.Actor).HasColumnName("actor").HasColumnType("varchar(100)");
            e.Property(x => x.OccurredAt).HasColumnName("occurred_at").HasColumnType("datetime(6)");
            e.HasIndex(x => new { x.TransferId, x.Id }).HasDatabaseName("idx_transfer_event_transfer_id");
            e.HasIndex(x => x.OccurredAt).HasDatabaseName("idx_transfer_event_occurred_at");
        });

        modelBuilder.AddTransactionalOutbox();
        modelBuilder.AddAuditTrail();
    }
}
