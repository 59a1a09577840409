using Banking.Contracts.Transfers;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.StateMachines;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Banking.Orchestrator.Transfers;

/// <summary>Answers the gateway's status queries from <c>transfer_log</c>; read-only, so it needs no outbox.</summary>
public sealed class GetTransferStatusConsumer(CoreDbContext db) : IConsumer<GetTransferStatus>
{
    public async Task Consume(ConsumeContext<GetTransferStatus> context)
    {
        var id = context.Message.TransferId;
        var transfer = await db.Transfers.AsNoTracking().FirstOrDefaultAsync(t => t.TransferId == id, context.CancellationToken);
        await context.RespondAsync(transfer is null ? new TransferStatus { TransferId = id, Found = false } : StatusOf(transfer));
    }

    /// <summary>A transfer_log row as the gateway reads it.</summary>
    public static TransferStatus StatusOf(TransferState transfer) => new()
    {
        TransferId = transfer.TransferId,
        Found = true,
        LogId = transfer.Id,
        Status = transfer.Status,
        State = transfer.CurrentState,
        FromAccount = transfer.FromAccount,
        ToAccount = transfer.ToAccount,
        Amount = transfer.Amount,
        Currency = transfer.Currency,
        Description = transfer.Description,
        ReasonCode = transfer.ReasonCode,
        ErrorMessage = transfer.ErrorMessage,
        SourceBalanceAfter = transfer.SourceBalanceAfter,
        AvailableBalance = transfer.AvailableBalance,
        RequestHash = transfer.RequestHash,
        CreatedAtUtc = DateTime.SpecifyKind(transfer.CreatedAt ?? transfer.UpdatedAt ?? DateTime.UtcNow, DateTimeKind.Utc),
        CompletedAtUtc = transfer.CompletedAt is { } completed ? DateTime.SpecifyKind(completed, DateTimeKind.Utc) : null,
    };
}
