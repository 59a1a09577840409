using System.Text.Json.Serialization;

namespace Banking.Gateway.Apis;

// The seed's bodies. Property names are written in snake_case (see Extensions), amounts with two decimals
// (Money.Of) and times as UTC seconds (Timestamps.Utc).

/// <summary>200: the transfer completed. <c>new_balance</c> is the source account's balance after the debit.</summary>
public sealed record TransferSucceededResponse(
    string Status, string TransferId, DateTime TransactionTime, string FromAccount, string ToAccount, decimal Amount, string Currency, decimal NewBalance);

/// <summary>202: accepted, outcome not known yet; poll <c>Location</c>.</summary>
public sealed record TransferPendingResponse(
    string Status, string TransferId, string FromAccount, string ToAccount, decimal Amount, string Currency,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description);

/// <summary>GET /api/v1/transfer/{id}. <c>reason_code</c> and <c>error_message</c> appear only for FAILED and ROLLBACK.</summary>
public sealed record TransferStatusResponse(
    string TransferId, string Status, string FromAccount, string ToAccount, decimal Amount, string Currency, DateTime CreatedAt, DateTime? CompletedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReasonCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorMessage);

/// <summary>GET /api/v1/account/{account_no}/balance.</summary>
public sealed record AccountBalanceResponse(string AccountNo, decimal Balance, string Currency, string Status, DateTime LastUpdated);

/// <summary>GET /api/v1/account/{account_no}/transactions: a page of the account's statement, newest first.</summary>
public sealed record AccountTransactionsResponse(string AccountNo, string Currency, IReadOnlyList<AccountTransactionResponse> Transactions, string? NextCursor);

/// <summary>
/// One booked entry. <c>direction</c> is DEBIT or CREDIT; <c>type</c> the ledger's TRFDR, TRFCR or REVCR (a debit given
/// back); <c>balance_after</c> the account's balance right after it.
/// </summary>
public sealed record AccountTransactionResponse(
    string EntryNo, string? TransferId, string Direction, decimal Amount, decimal? BalanceAfter, string? Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description, DateTime Time);

/// <summary>GET /api/v1/transfers: a page of transfers in the status body's shape, newest first.</summary>
public sealed record TransferListResponse(IReadOnlyList<TransferStatusResponse> Transfers, string? NextCursor);
