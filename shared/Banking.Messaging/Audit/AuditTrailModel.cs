using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Banking.Messaging.Audit;

public static class AuditTrailModel
{
    public const string Table = "audit_log";
    public const string HeadTable = "audit_chain";

    /// <summary>Adds <c>audit_log</c> and <c>audit_chain</c> to a service's own database, so they share its transactions.</summary>
    public static ModelBuilder AddAuditTrail(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<AuditRecord>(a =>
        {
            a.ToTable(Table);
            a.HasKey(x => new { x.Chain, x.Seq });
            a.Property(x => x.Chain).HasColumnName("chain").HasColumnType("varchar(64)");
            a.Property(x => x.Seq).HasColumnName("seq").ValueGeneratedNever();
            a.Property(x => x.OccurredAt).HasColumnName("occurred_at").HasColumnType("datetime(6)");
            a.Property(x => x.Actor).HasColumnName("actor").HasColumnType("varchar(100)").IsRequired();
            a.Property(x => x.Action).HasColumnName("action").HasColumnType("varchar(40)").IsRequired();
            a.Property(x => x.Subject).HasColumnName("subject").HasColumnType("varchar(100)").IsRequired();
            a.Property(x => x.SourceAddress).HasColumnName("source_address").HasColumnType("varchar(64)");
            a.Property(x => x.Details).HasColumnName("details").HasColumnType("varchar(1000)");
            a.Property(x => x.PreviousHash).HasColumnName("previous_hash").HasColumnType("char(64)").IsRequired();
            a.Property(x => x.RowHash).HasColumnName("row_hash").HasColumnType("char(64)").IsRequired();
            a.HasIndex(x => x.OccurredAt, "idx_audit_log_occurred_at");
            a.HasIndex(x => new { x.Subject, x.OccurredAt }, "idx_audit_log_subject");
        });

        modelBuilder.Entity<AuditChainHead>(h =>
        {
            h.ToTable(HeadTable);
            h.HasKey(x => x.Chain);
            h.Property(x => x.Chain).HasColumnName("chain").HasColumnType("varchar(64)");
            h.Property(x => x.LastSeq).HasColumnName("last_seq");
            h.Property(x => x.LastHash).HasColumnName("last_hash").HasColumnType("char(64)").IsRequired();
        });

        return modelBuilder;
    }

    /// <summary>
    /// In the migration that creates <c>audit_log</c>: the table refuses UPDATE and DELETE from anyone, the services'
    /// own logins included (they keep INSERT and SELECT). Creating a trigger needs the TRIGGER privilege and, with the
    /// binary log on, <c>log_bin_trust_function_creators</c> (both set by the server scripts).
    /// </summary>
    public static MigrationBuilder CreateAppendOnlyAuditTriggers(this MigrationBuilder migrationBuilder)
    {
        foreach (var operation in new[] { "UPDATE", "DELETE" })
        {
            migrationBuilder.Sql($"""
                CREATE TRIGGER audit_log_no_{operation.ToLowerInvariant()} BEFORE {operation} ON {Table} FOR EACH ROW
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only: rows are never updated or deleted'
                """);
        }

        return migrationBuilder;
    }

    public static MigrationBuilder DropAppendOnlyAuditTriggers(this MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_log_no_update");
        migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_log_no_delete");
        return migrationBuilder;
    }
}
