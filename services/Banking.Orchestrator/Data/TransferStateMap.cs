using Banking.Orchestrator.StateMachines;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Banking.Orchestrator.Data;

/// <summary>The saga's table: the seed's <c>transfer_log</c>, its columns exactly as the seed's DDL has them, and the saga's beside them.</summary>
public sealed class TransferStateMap : IEntityTypeConfiguration<TransferState>
{
    public void Configure(EntityTypeBuilder<TransferState> transfer)
    {
        // The seed's columns, exactly as its DDL has them.
        transfer.ToTable("transfer_log");
        transfer.HasKey(x => x.Id);
        transfer.Property(x => x.Id).HasColumnName("id").HasColumnType("bigint").ValueGeneratedOnAdd();
        transfer.Property(x => x.TransferId).HasColumnName("transfer_id").HasColumnType("varchar(50)").IsRequired();
        transfer.Property(x => x.FromAccount).HasColumnName("from_account").HasColumnType("varchar(50)").IsRequired();
        transfer.Property(x => x.ToAccount).HasColumnName("to_account").HasColumnType("varchar(50)").IsRequired();
        transfer.Property(x => x.Amount).HasColumnName("amount").HasColumnType("decimal(20,2)").IsRequired();
        transfer.Property(x => x.Currency).HasColumnName("currency").HasColumnType("varchar(3)").IsRequired(false).HasDefaultValueSql("'CNY'");
        transfer.Property(x => x.Status).HasColumnName("status").HasColumnType("enum('PENDING','SUCCESS','FAILED','ROLLBACK')").IsRequired(false).HasDefaultValueSql("'PENDING'");
        transfer.Property(x => x.ErrorMessage).HasColumnName("error_message").HasColumnType("text");
        transfer.Property(x => x.CreatedAt).HasColumnName("created_at").HasColumnType("timestamp").IsRequired(false).HasDefaultValueSql("CURRENT_TIMESTAMP");
        transfer.Property(x => x.UpdatedAt).HasColumnName("updated_at").HasColumnType("timestamp").IsRequired(false)
            .HasDefaultValueSql("CURRENT_TIMESTAMP").ValueGeneratedOnAddOrUpdate();
        transfer.Property(x => x.UpdatedAt).Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
        transfer.Property(x => x.UpdatedAt).Metadata.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
        // UNIQUE on the column itself (MySQL names that index after the column) and the seed's idx_transfer_id.
        transfer.HasIndex(x => x.TransferId, "transfer_id").IsUnique();
        transfer.HasIndex(x => x.TransferId, "idx_transfer_id");
        transfer.HasIndex(x => x.Status, "idx_status");
        transfer.HasIndex(x => x.CreatedAt, "idx_created_at");

        // The saga's columns, added beside the seed's.
        transfer.Property(x => x.CorrelationId).HasColumnName("correlation_id");
        transfer.HasIndex(x => x.CorrelationId).IsUnique().HasDatabaseName("ux_transfer_log_correlation_id");
        // For the dashboard's filters at millions of rows: state (with age), and either account.
        transfer.HasIndex(x => new { x.CurrentState, x.CreatedAt }).HasDatabaseName("idx_transfer_log_state_created");
        transfer.HasIndex(x => x.FromAccount).HasDatabaseName("idx_transfer_log_from_account");
        transfer.HasIndex(x => x.ToAccount).HasDatabaseName("idx_transfer_log_to_account");
        transfer.Property(x => x.CurrentState).HasColumnName("current_state").HasColumnType("varchar(32)").IsRequired();
        transfer.Property(x => x.Description).HasColumnName("description").HasColumnType("varchar(500)");
        transfer.Property(x => x.RequestedBy).HasColumnName("requested_by").HasColumnType("varchar(100)");
        transfer.Property(x => x.Channel).HasColumnName("channel").HasColumnType("varchar(20)");
        transfer.Property(x => x.RequestHash).HasColumnName("request_hash").HasColumnType("varchar(64)");
        transfer.Property(x => x.TraceId).HasColumnName("trace_id").HasColumnType("varchar(32)");
        transfer.Property(x => x.TraceParent).HasColumnName("trace_parent").HasColumnType("varchar(55)");
        transfer.Property(x => x.ReasonCode).HasColumnName("reason_code").HasColumnType("varchar(40)");
        transfer.Property(x => x.AvailableBalance).HasColumnName("available_balance").HasColumnType("decimal(20,2)");
        transfer.Property(x => x.RemainingDailyAllowance).HasColumnName("remaining_daily_allowance").HasColumnType("decimal(20,2)");
        transfer.Property(x => x.SourceBalanceAfter).HasColumnName("source_balance_after").HasColumnType("decimal(20,2)");
        transfer.Property(x => x.StepAttempt).HasColumnName("step_attempt");
        transfer.Property(x => x.DebitAttempts).HasColumnName("debit_attempts");
        transfer.Property(x => x.CreditAttempts).HasColumnName("credit_attempts");
        transfer.Property(x => x.ReversalAttempts).HasColumnName("reversal_attempts");
        transfer.Property(x => x.CancelAttempts).HasColumnName("cancel_attempts");
        transfer.Property(x => x.StepSentAt).HasColumnName("step_sent_at").HasColumnType("datetime(6)");
        transfer.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at").HasColumnType("datetime(6)");
        transfer.Property(x => x.DebitedAt).HasColumnName("debited_at").HasColumnType("datetime(6)");
        transfer.Property(x => x.CreditedAt).HasColumnName("credited_at").HasColumnType("datetime(6)");
        transfer.Property(x => x.CompletedAt).HasColumnName("completed_at").HasColumnType("datetime(6)");
        transfer.Property(x => x.AmountAtRisk).HasColumnName("amount_at_risk").HasColumnType("decimal(20,2)");
        transfer.Property(x => x.AbortedBy).HasColumnName("aborted_by").HasColumnType("varchar(100)");
        transfer.Property(x => x.AbortReason).HasColumnName("abort_reason").HasColumnType("varchar(500)");
        transfer.Property(x => x.AbortApprovedBy).HasColumnName("abort_approved_by").HasColumnType("varchar(100)");
        transfer.Property(x => x.PendingAction).HasColumnName("pending_action").HasColumnType("varchar(10)");
        transfer.Property(x => x.PendingActionBy).HasColumnName("pending_action_by").HasColumnType("varchar(100)");
        transfer.Property(x => x.PendingActionReason).HasColumnName("pending_action_reason").HasColumnType("varchar(500)");
        transfer.Property(x => x.PendingActionAt).HasColumnName("pending_action_at").HasColumnType("datetime(6)");
        // Stored by the saga repository (ISagaJournal), not as an EF relationship: EF would model transfer_id as an
        // alternate key with a FOREIGN KEY from transfer_event, which the seed's schema does not have (a migration).
        transfer.Ignore(x => x.Timeline);

        // The sweeper's scan (in-flight rows past their deadline) and the dashboard's filters stay indexed at millions of rows.
        transfer.HasIndex(x => x.NextAttemptAt).HasDatabaseName("idx_transfer_log_next_attempt_at");
        transfer.HasIndex(x => new { x.CurrentState, x.Id }).HasDatabaseName("idx_transfer_log_state_id");
        transfer.HasIndex(x => new { x.FromAccount, x.Id }).HasDatabaseName("idx_transfer_log_from_account_id");
        transfer.HasIndex(x => new { x.ToAccount, x.Id }).HasDatabaseName("idx_transfer_log_to_account_id");
        // A channel's or a customer's own transfers, newest first (GET /api/v1/transfers).
        transfer.HasIndex(x => new { x.RequestedBy, x.Id }).HasDatabaseName("idx_transfer_log_requested_by_id");
    }
}
