using System.Collections.Concurrent;
using Banking.Contracts;
using Banking.Contracts.Accounts;
using Banking.Contracts.Transfers;
using Banking.ServiceDefaults;
using MassTransit;

namespace Banking.Gateway.Tests.Support;

/// <summary>
/// Plays the orchestrator and both ledgers on the real broker, as far as the gateway can see them: consumes
/// TransferRequested on <c>transfer-state</c> and answers like the saga (one transfer per id, a repeated request
/// for a finished transfer re-publishes its final event, one in flight gets nothing, one with other content under a
/// known id is refused with TransferRequestConflicted naming its message id), answers GetTransferStatus on
/// <c>transfer-status</c> and GetAccountBalance on <c>debit-ledger-queries</c> / <c>credit-ledger-queries</c>. Tests script it
/// with accounts (balance, status, currency, owner), delays and silences.
/// </summary>
public sealed class SagaAndLedgerResponder : IAsyncDisposable
{
    private readonly IBusControl bus;
    private readonly ConcurrentDictionary<string, Account> accounts = new();
    private readonly ConcurrentDictionary<string, Transfer> transfers = new();
    private readonly ConcurrentDictionary<string, int> requestsSeen = new();
    private readonly ConcurrentDictionary<string, int> conflictsPublished = new();
    private readonly ConcurrentDictionary<string, int> balanceQueries = new();
    private readonly ConcurrentDictionary<string, TimeSpan> transferDelays = new();
    private readonly ConcurrentDictionary<string, TimeSpan> balanceDelays = new();
    private readonly ConcurrentDictionary<string, bool> silentStatus = new();

    private SagaAndLedgerResponder(IBusControl bus) => this.bus = bus;

    public IBus Bus => bus;

    public static async Task<SagaAndLedgerResponder> StartAsync(Uri amqp)
    {
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
        SagaAndLedgerResponder? responder = null;
        var broker = RabbitMqAddress.Parse(amqp.ToString());
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker.Host, broker.Port, broker.VirtualHost, h =>
            {
                h.Username(broker.Username);
                h.Password(broker.Password);
            });
            cfg.ReceiveEndpoint(Endpoints.TransferSaga, e =>
            {
                e.ConcurrentMessageLimit = 64;
                e.PrefetchCount = 64;
                e.Handler<TransferRequested>(context => responder!.OnTransferRequested(context));
            });
            cfg.ReceiveEndpoint(Endpoints.TransferStatus, e => e.Handler<GetTransferStatus>(context => responder!.OnGetTransferStatus(context)));
            cfg.ReceiveEndpoint(Endpoints.DebitQueries, e =>
            {
                e.ConcurrentMessageLimit = 16;
                e.Handler<GetAccountBalance>(context => responder!.OnGetAccountBalance(context, Ledger.Debit));
            });
            cfg.ReceiveEndpoint(Endpoints.CreditQueries, e =>
            {
                e.ConcurrentMessageLimit = 16;
                e.Handler<GetAccountBalance>(context => responder!.OnGetAccountBalance(context, Ledger.Credit));
            });
        });
        responder = new SagaAndLedgerResponder(bus);
        using var start = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.StartAsync(start.Token);
        return responder;
    }

    /// <summary>The responder's bus is connected and its endpoints consume again, e.g. after its virtual host came back.</summary>
    public async Task WaitUntilListeningAsync(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (bus.CheckHealth().Status != BusHealthStatus.Healthy)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"the responder did not reconnect within {limit}: {bus.CheckHealth().Description}");
            await Task.Delay(100);
        }
    }

    // ---- scripting ----

    public string AddAccount(Ledger ledger, decimal balance, string currency = "CNY", string status = "A", string clientNo = "C0001")
    {
        var accountNo = NewAccountNo();
        accounts[accountNo] = new Account(accountNo, ledger, balance, currency, status, clientNo, new DateTime(2025, 1, 7, 10, 30, 0, DateTimeKind.Utc));
        return accountNo;
    }

    public static string NewAccountNo() => "6230" + Random.Shared.NextInt64(100_000_000_000_000, 999_999_999_999_999).ToString();

    public decimal BalanceOf(string accountNo) => accounts[accountNo].Balance;

    /// <summary>Changes a balance behind the gateway's back (no event), as a ledger does within a transfer another channel started.</summary>
    public void SetBalance(string accountNo, decimal balance) => accounts[accountNo].Balance = balance;

    public void DelayTransfersFrom(string fromAccount, TimeSpan delay) => transferDelays[fromAccount] = delay;
    public void DelayBalanceOf(string accountNo, TimeSpan delay) => balanceDelays[accountNo] = delay;
    public void NeverAnswerStatusOf(string transferId) => silentStatus[transferId] = true;

    public int RequestsSeen(string transferId) => requestsSeen.GetValueOrDefault(transferId);
    public int ConflictsPublished(string transferId) => conflictsPublished.GetValueOrDefault(transferId);
    public int TransfersStarted(string transferId) => transfers.ContainsKey(transferId) ? 1 : 0;
    public int BalanceQueries(string accountNo) => balanceQueries.GetValueOrDefault(accountNo);
    public bool HasTransfer(string transferId) => transfers.ContainsKey(transferId);

    /// <summary>
    /// Records a finished transfer as the orchestrator would have it, e.g. one whose idempotency key Redis has since lost,
    /// or one an upstream system started (the gateway's Redis never saw its reference).
    /// </summary>
    public void RecordFinishedTransfer(TransferRequested request, object finalEvent) =>
        transfers[request.TransferId] = new Transfer(request, DateTime.UtcNow) { Final = finalEvent, CompletedAt = DateTime.UtcNow };

    // ---- the saga, as the gateway sees it ----

    private async Task OnTransferRequested(ConsumeContext<TransferRequested> context)
    {
        var request = context.Message;
        requestsSeen.AddOrUpdate(request.TransferId, 1, (_, n) => n + 1);

        var fresh = new Transfer(request, DateTime.UtcNow);
        var transfer = transfers.GetOrAdd(request.TransferId, fresh);
        if (!ReferenceEquals(transfer, fresh))
        {
            // As TransferState.IsConflicting and TransferCommands.Conflicted decide it.
            if (IsConflicting(transfer.Request, request))
            {
                conflictsPublished.AddOrUpdate(request.TransferId, 1, (_, n) => n + 1);
                await context.Publish(new TransferRequestConflicted
                {
                    TransferId = request.TransferId, ConflictingMessageId = request.RequestMessageId ?? context.MessageId, Channel = request.Channel,
                    ReasonCode = ReasonCodes.DuplicateReference, Reason = "the transfer id is already used by a transfer with other content", RefusedAtUtc = DateTime.UtcNow,
                });
                return;
            }

            // A repeated request: a finished transfer answers with its outcome, one in flight says nothing.
            object? final;
            lock (transfer) final = transfer.Final;
            if (final is not null) await context.Publish(final, final.GetType());
            return;
        }

        if (transferDelays.TryGetValue(request.FromAccount, out var delay)) await Task.Delay(delay);

        var outcome = Decide(request);
        lock (transfer)
        {
            transfer.Final = outcome;
            transfer.CompletedAt = DateTime.UtcNow;
        }

        await context.Publish(outcome, outcome.GetType());
    }

    private static bool IsConflicting(TransferRequested known, TransferRequested request) =>
        request.RequestHash is not null && known.RequestHash is not null
            ? request.RequestHash != known.RequestHash
            : request.FromAccount != known.FromAccount || request.ToAccount != known.ToAccount || request.Amount != known.Amount
              || request.Currency != known.Currency || request.Description != known.Description;

    private object Decide(TransferRequested request)
    {
        var now = DateTime.UtcNow;
        TransferFailed Failed(string code, string reason, decimal? available = null) => new()
        {
            TransferId = request.TransferId, FromAccount = request.FromAccount, ToAccount = request.ToAccount, Amount = request.Amount,
            Currency = request.Currency, ReasonCode = code, Reason = reason, AvailableBalance = available, Account = request.FromAccount, FailedAtUtc = now,
        };

        if (!accounts.TryGetValue(request.FromAccount, out var source) || source.Ledger != Ledger.Debit)
            return Failed(ReasonCodes.AccountNotFound, "source account not found");
        lock (source)
        {
            if (source.Status != "A") return Failed(ReasonCodes.AccountRestricted, "source account restricted");
            if (source.Currency != request.Currency) return Failed(ReasonCodes.CurrencyMismatch, "currency mismatch");
            if (source.Balance < request.Amount) return Failed(ReasonCodes.InsufficientBalance, "insufficient balance", source.Balance);
            source.Balance -= request.Amount;
            source.LastUpdated = now;
        }

        var sourceAfter = source.Balance;
        if (!accounts.TryGetValue(request.ToAccount, out var destination) || destination.Ledger != Ledger.Credit || destination.Status != "A")
        {
            var code = destination is null || destination.Ledger != Ledger.Credit ? ReasonCodes.AccountNotFound : ReasonCodes.AccountRestricted;
            lock (source) source.Balance += request.Amount;
            return new TransferRolledBack
            {
                TransferId = request.TransferId, FromAccount = request.FromAccount, ToAccount = request.ToAccount, Amount = request.Amount,
                Currency = request.Currency, ReasonCode = code, Reason = "credit refused", Account = request.ToAccount, RolledBackAtUtc = now,
            };
        }

        lock (destination)
        {
            destination.Balance += request.Amount;
            destination.LastUpdated = now;
        }

        return new TransferCompleted
        {
            TransferId = request.TransferId, FromAccount = request.FromAccount, ToAccount = request.ToAccount, Amount = request.Amount,
            Currency = request.Currency, SourceBalanceAfter = sourceAfter, CompletedAtUtc = now,
        };
    }

    private async Task OnGetTransferStatus(ConsumeContext<GetTransferStatus> context)
    {
        var id = context.Message.TransferId;
        if (silentStatus.ContainsKey(id)) return;
        if (!transfers.TryGetValue(id, out var transfer))
        {
            await context.RespondAsync(new TransferStatus { TransferId = id, Found = false });
            return;
        }

        object? final;
        DateTime? completedAt;
        lock (transfer)
        {
            final = transfer.Final;
            completedAt = transfer.CompletedAt;
        }

        var request = transfer.Request;
        await context.RespondAsync(new TransferStatus
        {
            TransferId = id,
            Found = true,
            Status = final switch { TransferCompleted => "SUCCESS", TransferFailed => "FAILED", TransferRolledBack => "ROLLBACK", _ => "PENDING" },
            FromAccount = request.FromAccount,
            ToAccount = request.ToAccount,
            Amount = request.Amount,
            Currency = request.Currency,
            Description = request.Description,
            ReasonCode = final switch { TransferFailed f => f.ReasonCode, TransferRolledBack r => r.ReasonCode, _ => null },
            ErrorMessage = final switch { TransferFailed f => f.Reason, TransferRolledBack r => r.Reason, _ => null },
            RequestHash = request.RequestHash,
            CreatedAtUtc = transfer.CreatedAt,
            CompletedAtUtc = completedAt,
        });
    }

    private async Task OnGetAccountBalance(ConsumeContext<GetAccountBalance> context, Ledger ledger)
    {
        var accountNo = context.Message.AccountNo;
        balanceQueries.AddOrUpdate(accountNo, 1, (_, n) => n + 1);

        // The row is read first and the answer is what is slow, so a delayed answer can be older than the account.
        var found = accounts.TryGetValue(accountNo, out var account) && account.Ledger == ledger;
        decimal balance = 0;
        DateTime lastUpdated = default;
        if (found)
        {
            lock (account!)
            {
                balance = account.Balance;
                lastUpdated = account.LastUpdated;
            }
        }

        if (balanceDelays.TryGetValue(accountNo, out var delay)) await Task.Delay(delay);
        if (!found)
        {
            await context.RespondAsync(new AccountBalance { AccountNo = accountNo, Found = false });
            return;
        }

        await context.RespondAsync(new AccountBalance
        {
            AccountNo = accountNo,
            Found = true,
            Balance = balance,
            Currency = account!.Currency,
            Status = account.Status,
            ClientNo = account.ClientNo,
            LastUpdatedUtc = lastUpdated,
        });
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await bus.StopAsync(stop.Token);
    }

    public enum Ledger { Debit, Credit }

    private sealed class Account(string accountNo, Ledger ledger, decimal balance, string currency, string status, string clientNo, DateTime lastUpdated)
    {
        public string AccountNo { get; } = accountNo;
        public Ledger Ledger { get; } = ledger;
        public decimal Balance { get; set; } = balance;
        public string Currency { get; } = currency;
        public string Status { get; } = status;
        public string ClientNo { get; } = clientNo;
        public DateTime LastUpdated { get; set; } = lastUpdated;
    }

    private sealed class Transfer(TransferRequested request, DateTime createdAt)
    {
        public TransferRequested Request { get; } = request;
        public DateTime CreatedAt { get; } = createdAt;
        public object? Final { get; set; }
        public DateTime? CompletedAt { get; set; }
    }
}
