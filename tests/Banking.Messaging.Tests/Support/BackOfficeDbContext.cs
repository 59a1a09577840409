using Banking.Messaging.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Banking.Messaging.Tests.Support;

/// <summary>A note written by a desk: the business change the outbox must commit together with its event.</summary>
public sealed class Note
{
    public long Id { get; set; }
    public string Reference { get; set; } = "";
    public string WrittenBy { get; set; } = "";
    public string Text { get; set; } = "";
    public DateTime RecordedUtc { get; set; }
}

/// <summary>One settlement batch saga instance: a counter that must never lose an increment.</summary>
public sealed class SettlementBatchState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = "";
    public int PaymentCount { get; set; }
    public int AuditCount { get; set; }
}

/// <summary>
/// The smallest database a service behind <c>Banking.Messaging</c> would have: a business table, a saga table, and
/// the inbox/outbox tables from <see cref="OutboxModelBuilderExtensions.AddTransactionalOutbox"/>.
/// </summary>
public sealed class BackOfficeDbContext(DbContextOptions<BackOfficeDbContext> options) : DbContext(options)
{
    public const string MigrationsHistoryTable = "__back_office_migrations";

    public DbSet<Note> Notes => Set<Note>();
    public DbSet<SettlementBatchState> SettlementBatches => Set<SettlementBatchState>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Note>(note =>
        {
            note.ToTable("note");
            note.HasKey(x => x.Id);
            note.Property(x => x.Id).HasColumnName("id");
            note.Property(x => x.Reference).HasColumnName("reference").HasMaxLength(96);
            note.Property(x => x.WrittenBy).HasColumnName("written_by").HasMaxLength(160);
            note.Property(x => x.Text).HasColumnName("text").HasMaxLength(256);
            note.Property(x => x.RecordedUtc).HasColumnName("recorded").HasColumnType("datetime(6)");

            // Deliberately not unique: a duplicate must be stopped by the inbox, not by a key of the business table.
            note.HasIndex(x => x.Reference, "idx_note_reference");
        });

        modelBuilder.Entity<SettlementBatchState>(batch =>
        {
            batch.ToTable("settlement_batch");
            batch.HasKey(x => x.CorrelationId);
            batch.Property(x => x.CorrelationId).HasColumnName("batch_id").ValueGeneratedNever();
            batch.Property(x => x.CurrentState).HasColumnName("current_state").HasMaxLength(32);
            batch.Property(x => x.PaymentCount).HasColumnName("payment_count");
            batch.Property(x => x.AuditCount).HasColumnName("audit_count");
        });

        modelBuilder.AddTransactionalOutbox();
    }
}
