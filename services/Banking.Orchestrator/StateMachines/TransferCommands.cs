using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Contracts.Transfers;
using MassTransit;

namespace Banking.Orchestrator.StateMachines;

/// <summary>The steps of a transfer that a ledger applies; their names appear in the timeline ("Credit attempt 2").</summary>
public enum TransferStep { Debit, Credit, Reversal, CancelDebit, CancelCredit }

/// <summary>What the saga sends and publishes, built from its state: the ledger commands of each step and the outcomes.</summary>
public static class TransferCommands
{
    /// <summary>Sends the command of <paramref name="step"/> to the ledger that owns the account it touches.</summary>
    public static EventActivityBinder<TransferState, T> SendStep<T>(this EventActivityBinder<TransferState, T> binder, TransferStep step)
        where T : class => step switch
        {
            TransferStep.Debit => binder.Send(Endpoints.Queue(Endpoints.DebitLedger), context => Debit(context.Saga)),
            TransferStep.Credit => binder.Send(Endpoints.Queue(Endpoints.CreditLedger), context => Credit(context.Saga)),
            TransferStep.Reversal => binder.Send(Endpoints.Queue(Endpoints.DebitLedger), context => Reverse(context.Saga)),
            TransferStep.CancelDebit => binder.Send(Endpoints.Queue(Endpoints.DebitLedger), context => CancelDebit(context.Saga)),
            TransferStep.CancelCredit => binder.Send(Endpoints.Queue(Endpoints.CreditLedger), context => CancelCredit(context.Saga)),
            _ => throw new ArgumentOutOfRangeException(nameof(step), step, "not a ledger step"),
        };

    public static DebitAccount Debit(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        AccountNo = saga.FromAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        Narrative = saga.Description,
    };

    public static CreditAccount Credit(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        AccountNo = saga.ToAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        Narrative = saga.Description,
    };

    public static ReverseDebit Reverse(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        AccountNo = saga.FromAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
    };

    public static CancelDebit CancelDebit(TransferState saga) => new() { TransferId = saga.TransferId, AccountNo = saga.FromAccount };

    public static CancelCredit CancelCredit(TransferState saga) => new() { TransferId = saga.TransferId, AccountNo = saga.ToAccount };

    public static TransferRequestConflicted Conflicted(TransferState saga, TransferRequested request, Guid? messageId) => new()
    {
        TransferId = saga.TransferId,
        ConflictingMessageId = request.RequestMessageId ?? messageId,
        Channel = request.Channel,
        ReasonCode = ReasonCodes.DuplicateReference,
        Reason = "the transfer id is already used by a transfer with other content",
        RefusedAtUtc = DateTime.UtcNow,
    };

    public static TransferCompleted Completed(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        FromAccount = saga.FromAccount,
        ToAccount = saga.ToAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        SourceBalanceAfter = saga.SourceBalanceAfter ?? 0m,
        CompletedAtUtc = saga.CompletedAt ?? DateTime.UtcNow,
    };

    public static TransferFailed Failed(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        FromAccount = saga.FromAccount,
        ToAccount = saga.ToAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        ReasonCode = saga.ReasonCode ?? ReasonCodes.ValidationError,
        Reason = saga.ErrorMessage ?? "",
        AvailableBalance = saga.AvailableBalance,
        RemainingDailyAllowance = saga.RemainingDailyAllowance,
        Account = saga.ReasonCode is ReasonCodes.AccountNotFound or ReasonCodes.AccountRestricted or ReasonCodes.InsufficientBalance or ReasonCodes.CurrencyMismatch or ReasonCodes.DailyLimitExceeded
            ? saga.FromAccount
            : null,
        FailedAtUtc = saga.CompletedAt ?? DateTime.UtcNow,
    };

    public static TransferRolledBack RolledBack(TransferState saga) => new()
    {
        TransferId = saga.TransferId,
        FromAccount = saga.FromAccount,
        ToAccount = saga.ToAccount,
        Amount = saga.Amount,
        Currency = saga.Currency,
        ReasonCode = saga.ReasonCode ?? ReasonCodes.AbortedByOperator,
        Reason = saga.ErrorMessage ?? "",
        Account = saga.ReasonCode == ReasonCodes.AbortedByOperator ? null : saga.ToAccount,
        RolledBackAtUtc = saga.CompletedAt ?? DateTime.UtcNow,
    };
}
