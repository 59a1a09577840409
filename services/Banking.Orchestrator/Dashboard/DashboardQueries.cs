using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Contracts.Transfers;
using Banking.Messaging.Outbox;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.Reconciliation;
using Banking.Orchestrator.StateMachines;
using Banking.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Dashboard;

/// <summary>
/// What the dashboard shows, read from <c>bank_core</c> (and from the ledgers through their services). Every list
/// query is an indexed range read with keyset paging, so page 5,000 costs what page 1 costs.
/// </summary>
public sealed class DashboardQueries(
    CoreDbContext db,
    IClientFactory clients,
    IOptions<TransferOptions> transferOptions,
    IOptions<DashboardOptions> dashboardOptions,
    ErrorQueueMonitor errorQueues,
    ReconciliationMonitor reconciliation)
{
    public static readonly string[] AllStates = [.. TransferStateNames.All];

    public async Task<object> OverviewAsync(CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var stuckBefore = now - transferOptions.Value.StuckThreshold;
        var inFlight = TransferStateMachine.InFlightStates;

        var byState = await db.Transfers.AsNoTracking().GroupBy(t => t.CurrentState)
            .Select(g => new { State = g.Key, Count = g.Count() }).ToListAsync(ct);
        var stuck = await db.Transfers.AsNoTracking().CountAsync(t => inFlight.Contains(t.CurrentState) && t.CreatedAt < stuckBefore, ct);
        var oldest = await db.Transfers.AsNoTracking().Where(t => inFlight.Contains(t.CurrentState))
            .MinAsync(t => t.CreatedAt, ct);
        var atRisk = await db.Transfers.AsNoTracking().Where(t => t.AmountAtRisk != null).SumAsync(t => t.AmountAtRisk, ct) ?? 0m;

        var hourAgo = now.AddHours(-1);
        // Grouped in the database: an hour at a few hundred transfers a second is a million rows.
        var minutes = await db.Transfers.AsNoTracking().Where(t => t.CreatedAt >= hourAgo)
            .GroupBy(t => new { t.CreatedAt!.Value.Day, t.CreatedAt!.Value.Hour, t.CreatedAt!.Value.Minute })
            .Select(g => new
            {
                g.Key.Day,
                g.Key.Hour,
                g.Key.Minute,
                Count = g.Count(),
                Failed = g.Count(t => t.Status == TransferStatuses.Failed || t.Status == TransferStatuses.Rollback),
            })
            .ToListAsync(ct);
        var perMinute = Enumerable.Range(0, 60).Select(i => hourAgo.AddMinutes(i + 1)).Select(minute =>
        {
            var row = minutes.FirstOrDefault(m => m.Day == minute.Day && m.Hour == minute.Hour && m.Minute == minute.Minute);
            return new { minute = Timestamp(minute), transfers = row?.Count ?? 0, failed = row?.Failed ?? 0 };
        }).ToList();
        var hourTotal = minutes.Sum(m => m.Count);
        var hourFailed = minutes.Sum(m => m.Failed);

        var backlog = new List<object>
        {
            new { service = "Orchestrator", backlog = (int?)await db.Set<OutboxMessage>().CountAsync(ct), available = true },
        };
        foreach (var (service, queue) in new[] { ("DebitService", Endpoints.DebitQueries), ("CreditService", Endpoints.CreditQueries) })
        {
            try
            {
                var client = clients.CreateRequestClient<GetLedgerStatus>(Endpoints.Queue(queue), RequestTimeout.After(ms: (int)dashboardOptions.Value.LedgerQueryTimeout.TotalMilliseconds));
                var status = await client.GetResponse<LedgerStatus>(new GetLedgerStatus { Requester = "dashboard" }, ct);
                backlog.Add(new { service, backlog = (int?)status.Message.OutboxBacklog, available = true });
            }
            catch (Exception e) when (BankQueueRequests.IsUnanswered(e))
            {
                backlog.Add(new { service, backlog = (int?)null, available = false });
            }
        }

        var (depths, depthsAt) = errorQueues.Snapshot();
        return new
        {
            generated_at = Timestamp(now),
            error_queues = depths.Select(d => new { queue = d.Queue, messages = d.Messages, available = d.Messages is not null }),
            error_queues_observed_at = Timestamp(depthsAt),
            states = AllStates.ToDictionary(s => s, s => byState.FirstOrDefault(b => b.State == s)?.Count ?? 0),
            stuck,
            stuck_threshold_seconds = (int)transferOptions.Value.StuckThreshold.TotalSeconds,
            oldest_in_flight_seconds = oldest is { } o ? (int?)(now - DateTime.SpecifyKind(o, DateTimeKind.Utc)).TotalSeconds : null,
            amount_at_risk = atRisk,
            last_hour = new
            {
                transfers = hourTotal,
                failure_rate = hourTotal == 0 ? 0 : Math.Round((double)hourFailed / hourTotal, 4),
                per_minute = perMinute,
            },
            outbox_backlog = backlog,
            reconciliation = ReconciliationSummary(),
        };
    }

    /// <summary>The continuous check's last result (kept in memory by the monitor: the overview reads no ledger).</summary>
    private object ReconciliationSummary()
    {
        var last = reconciliation.Last;
        return new
        {
            running = reconciliation.IsRunning,
            failing = reconciliation.Failing,
            checked_at = Timestamp(last?.CheckedAtUtc),
            clean = last?.IsClean,
            currencies = last?.Currencies.Select(c => new { currency = c.Currency, difference = c.Difference, in_flight = c.InFlight }) ?? [],
        };
    }

    public async Task<object> ListAsync(TransferFilter filter, bool fullAccountNumbers, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var query = db.Transfers.AsNoTracking();
        var inFlight = TransferStateMachine.InFlightStates;

        if (!string.IsNullOrEmpty(filter.State)) query = query.Where(t => t.CurrentState == filter.State);
        if (filter.StuckOnly)
        {
            var stuckBefore = now - transferOptions.Value.StuckThreshold;
            query = query.Where(t => inFlight.Contains(t.CurrentState) && t.CreatedAt < stuckBefore);
        }

        if (filter.MinAgeMinutes is { } age)
        {
            var before = now.AddMinutes(-age);
            query = query.Where(t => t.CreatedAt <= before);
        }

        if (!string.IsNullOrEmpty(filter.Account))
        {
            // A full number uses the account indexes; a few last digits (what a customer reads out on the phone) scan.
            query = filter.Account.Length >= 12
                ? query.Where(t => t.FromAccount == filter.Account || t.ToAccount == filter.Account)
                : query.Where(t => t.FromAccount.EndsWith(filter.Account) || t.ToAccount.EndsWith(filter.Account));
        }

        if (!string.IsNullOrEmpty(filter.Reference)) query = query.Where(t => t.TransferId.StartsWith(filter.Reference));
        if (filter.FromUtc is { } from) query = query.Where(t => t.CreatedAt >= from);
        if (filter.ToUtc is { } to) query = query.Where(t => t.CreatedAt <= to);
        if (filter.MinAmount is { } min) query = query.Where(t => t.Amount >= min);
        if (filter.MaxAmount is { } max) query = query.Where(t => t.Amount <= max);

        if (filter.Cursor is { } cursor) query = filter.OldestFirst ? query.Where(t => t.Id > cursor) : query.Where(t => t.Id < cursor);
        query = filter.OldestFirst ? query.OrderBy(t => t.Id) : query.OrderByDescending(t => t.Id);

        var rows = await query.Take(filter.Limit + 1)
            .Select(t => new { t.Id, t.TransferId, t.FromAccount, t.ToAccount, t.Amount, t.Currency, t.Status, t.CurrentState, t.CreatedAt, t.CompletedAt, t.ReasonCode, t.StepAttempt, t.AmountAtRisk })
            .ToListAsync(ct);
        var stuckBeforeForFlag = now - transferOptions.Value.StuckThreshold;
        var page = rows.Take(filter.Limit).ToList();
        return new
        {
            items = page.Select(t => new
            {
                transfer_id = t.TransferId,
                from_account = Show(t.FromAccount, fullAccountNumbers),
                to_account = Show(t.ToAccount, fullAccountNumbers),
                amount = t.Amount,
                currency = t.Currency,
                status = t.Status,
                state = t.CurrentState,
                reason_code = t.ReasonCode,
                attempt = t.StepAttempt,
                amount_at_risk = t.AmountAtRisk,
                created_at = Timestamp(t.CreatedAt),
                completed_at = Timestamp(t.CompletedAt),
                age_seconds = t.CreatedAt is { } c ? (int)((t.CompletedAt ?? now) - DateTime.SpecifyKind(c, DateTimeKind.Utc)).TotalSeconds : 0,
                stuck = inFlight.Contains(t.CurrentState) && t.CreatedAt < stuckBeforeForFlag,
            }),
            next_cursor = rows.Count > filter.Limit ? page[^1].Id : (long?)null,
        };
    }

    public async Task<object?> DetailAsync(string transferId, bool fullAccountNumbers, CancellationToken ct)
    {
        var t = await db.Transfers.AsNoTracking().SingleOrDefaultAsync(x => x.TransferId == transferId, ct);
        if (t is null) return null;

        var events = await db.TransferEvents.AsNoTracking().Where(e => e.TransferId == transferId).OrderBy(e => e.Id).ToListAsync(ct);
        var ledgers = await Task.WhenAll(
            LedgerEntriesAsync("DB1 (DebitService)", Endpoints.DebitQueries, transferId, fullAccountNumbers, ct),
            LedgerEntriesAsync("DB2 (CreditService)", Endpoints.CreditQueries, transferId, fullAccountNumbers, ct));
        var logUrl = dashboardOptions.Value.LogSearchUrl;
        var now = DateTime.UtcNow;

        return new
        {
            transfer_id = t.TransferId,
            from_account = Show(t.FromAccount, fullAccountNumbers),
            to_account = Show(t.ToAccount, fullAccountNumbers),
            amount = t.Amount,
            currency = t.Currency,
            status = t.Status,
            error_message = fullAccountNumbers ? t.ErrorMessage : AccountMasking.MaskAll(t.ErrorMessage),
            created_at = Timestamp(t.CreatedAt),
            updated_at = Timestamp(t.UpdatedAt),
            completed_at = Timestamp(t.CompletedAt),
            state = t.CurrentState,
            in_flight = TransferStateMachine.InFlightStates.Contains(t.CurrentState),
            stuck = TransferStateMachine.InFlightStates.Contains(t.CurrentState) && t.CreatedAt < now - transferOptions.Value.StuckThreshold,
            description = t.Description,
            requested_by = t.RequestedBy,
            channel = t.Channel,
            reason_code = t.ReasonCode,
            source_balance_after = t.SourceBalanceAfter,
            amount_at_risk = t.AmountAtRisk,
            aborted_by = t.AbortedBy,
            abort_reason = t.AbortReason,
            abort_approved_by = t.AbortApprovedBy,
            pending_approval = t.PendingAction is null ? null : new
            {
                action = t.PendingAction,
                requested_by = t.PendingActionBy,
                reason = t.PendingActionReason,
                requested_at = Timestamp(t.PendingActionAt),
            },
            step_attempt = t.StepAttempt,
            next_attempt_at = Timestamp(t.NextAttemptAt),
            attempts = new { debit = t.DebitAttempts, credit = t.CreditAttempts, reversal = t.ReversalAttempts, cancel = t.CancelAttempts },
            trace_id = t.TraceId,
            trace_url = string.IsNullOrEmpty(logUrl) || string.IsNullOrEmpty(t.TraceId) ? null : logUrl.Replace("{traceId}", t.TraceId, StringComparison.Ordinal),
            timeline = events.Select((e, i) => new
            {
                at = Timestamp(e.OccurredAt),
                since_previous_ms = i == 0 ? (long?)null : (long)(e.OccurredAt - events[i - 1].OccurredAt).TotalMilliseconds,
                @event = e.EventType,
                from_state = e.FromState,
                to_state = e.ToState,
                details = fullAccountNumbers ? e.Details : AccountMasking.MaskAll(e.Details),
                actor = e.Actor,
            }),
            ledgers,
        };
    }

    private async Task<object> LedgerEntriesAsync(string name, string queue, string transferId, bool full, CancellationToken ct)
    {
        try
        {
            var client = clients.CreateRequestClient<GetLedgerEntries>(Endpoints.Queue(queue), RequestTimeout.After(ms: (int)dashboardOptions.Value.LedgerQueryTimeout.TotalMilliseconds));
            var entries = (await client.GetResponse<LedgerEntries>(new GetLedgerEntries { TransferId = transferId }, ct)).Message;
            return new
            {
                ledger = name,
                available = true,
                history = entries.History.Select(h => new
                {
                    seq_no = h.SeqNo, account = Show(h.AccountNo, full), tran_type = h.TranType, cr_dr = h.CrDrInd, amount = h.Amount,
                    previous_balance = h.PreviousBalance, actual_balance = h.ActualBalance, tran_status = h.TranStatus, at = Timestamp(h.TranDateUtc),
                }),
                operations = entries.Operations.Select(o => new
                {
                    operation = o.Operation, outcome = o.Outcome, reason_code = o.ReasonCode, amount = o.Amount, at = Timestamp(o.RecordedAtUtc),
                }),
            };
        }
        catch (Exception e) when (BankQueueRequests.IsUnanswered(e))
        {
            return new { ledger = name, available = false, history = Array.Empty<object>(), operations = Array.Empty<object>() };
        }
    }

    private static string Show(string accountNo, bool full) => full ? accountNo : AccountMasking.Mask(accountNo) ?? "";

    private static string? Timestamp(DateTime? value) =>
        value is { } v ? DateTime.SpecifyKind(v, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.fffZ") : null;
}
