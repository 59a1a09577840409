namespace Banking.Contracts.Accounts;

/// <summary>
/// A page of an account's booked entries (<c>rb_tran_hist</c>), newest first, answered by the ledger that holds the
/// account. Keyset-paged: <see cref="BeforeEntryNo"/> is the previous page's <see cref="AccountTransactions.NextBeforeEntryNo"/>.
/// </summary>
public record GetAccountTransactions
{
    public required string AccountNo { get; init; }

    /// <summary>Entries booked at or after this time (UTC), if set.</summary>
    public DateTime? FromUtc { get; init; }

    /// <summary>Entries booked before this time (UTC), if set.</summary>
    public DateTime? ToUtc { get; init; }

    /// <summary>Only entries older than this one; null for the first page.</summary>
    public long? BeforeEntryNo { get; init; }

    public required int Limit { get; init; }
}

/// <summary>The answer to <see cref="GetAccountTransactions"/>. <see cref="Found"/> is false when this ledger does not hold the account.</summary>
public record AccountTransactions
{
    public required string AccountNo { get; init; }
    public required bool Found { get; init; }
    public string? ClientNo { get; init; }
    public string? Currency { get; init; }
    public IReadOnlyList<AccountTransaction> Entries { get; init; } = [];

    /// <summary>Where the next page starts; null when this page is the last.</summary>
    public long? NextBeforeEntryNo { get; init; }
}

/// <summary>One booked entry: what moved, for which transfer, and the balance it left.</summary>
public record AccountTransaction
{
    public required long EntryNo { get; init; }
    public string? TransferId { get; init; }

    /// <summary><c>D</c> debit or <c>C</c> credit, as the ledger's <c>CR_DR_IND</c>.</summary>
    public required string DebitCredit { get; init; }
    public required decimal Amount { get; init; }
    public decimal? BalanceBefore { get; init; }
    public decimal? BalanceAfter { get; init; }

    /// <summary>The ledger's transaction type: TRFDR, TRFCR (transfer) or REVCR (reversal of a debit).</summary>
    public string? TranType { get; init; }
    public string? Narrative { get; init; }
    public required DateTime BookedAtUtc { get; init; }
}
