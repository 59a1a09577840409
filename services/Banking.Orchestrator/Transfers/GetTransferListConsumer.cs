using Banking.Contracts.Transfers;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.StateMachines;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Banking.Orchestrator.Transfers;

/// <summary>
/// Pages of <c>transfer_log</c> for the gateway, newest first by row id (keyset): for an account, the transfers from it
/// and those to it are read over their own (account, id) indexes and merged, so a page costs two index ranges, never a
/// scan of the log. Read-only, like the status queries beside it.
/// </summary>
public sealed class GetTransferListConsumer(CoreDbContext db) : IConsumer<GetTransferList>
{
    public const int MaxLimit = 100;

    public async Task Consume(ConsumeContext<GetTransferList> context)
    {
        var question = context.Message;
        var limit = Math.Clamp(question.Limit, 1, MaxLimit);
        var ct = context.CancellationToken;

        List<TransferState> rows;
        if (question.Account is { } account)
        {
            var from = await Page(Filtered(question).Where(t => t.FromAccount == account), limit, ct);
            var to = await Page(Filtered(question).Where(t => t.ToAccount == account), limit, ct);
            rows = [.. from.Concat(to).DistinctBy(t => t.Id).OrderByDescending(t => t.Id).Take(limit + 1)];
        }
        else
        {
            rows = await Page(Filtered(question), limit, ct);
        }

        var shown = rows.Take(limit).ToList();
        await context.RespondAsync(new TransferList
        {
            Transfers = [.. shown.Select(GetTransferStatusConsumer.StatusOf)],
            NextBefore = rows.Count > limit ? shown[^1].Id : null,
        });
    }

    private IQueryable<TransferState> Filtered(GetTransferList question)
    {
        var rows = db.Transfers.AsNoTracking();
        if (question.Before is { } before) rows = rows.Where(t => t.Id < before);
        if (question.Status is { } status) rows = rows.Where(t => t.Status == status);
        if (question.RequestedBy is { } requestedBy) rows = rows.Where(t => t.RequestedBy == requestedBy);
        return rows;
    }

    // One more row than the page: whether another page follows.
    private static Task<List<TransferState>> Page(IQueryable<TransferState> rows, int limit, CancellationToken ct) =>
        rows.OrderByDescending(t => t.Id).Take(limit + 1).ToListAsync(ct);
}
