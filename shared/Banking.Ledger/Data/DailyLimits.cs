namespace Banking.Ledger.Data;

/// <summary>
/// What one account or one customer has sent out on one business date, in one currency (<c>daily_outgoing</c>): the
/// applied debits less their reversals. The row is locked by the debit that reads it, so two debits on one account or
/// customer are decided one after the other, and the count commits with the debit itself.
/// </summary>
public class DailyOutgoing
{
    /// <summary>One of <see cref="DailyLimitScopes"/>.</summary>
    public string Scope { get; set; } = "";

    /// <summary>The account number (<c>BASE_ACCT_NO</c>) or the customer number (<c>CLIENT_NO</c>).</summary>
    public string ScopeKey { get; set; } = "";
    public string Currency { get; set; } = "";
    public DateOnly BusinessDate { get; set; }
    public decimal Amount { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A daily outgoing limit set for one account or one customer (<c>daily_limit</c>), instead of the configured default.</summary>
public class DailyLimit
{
    /// <summary>One of <see cref="DailyLimitScopes"/>.</summary>
    public string Scope { get; set; } = "";
    public string ScopeKey { get; set; } = "";
    public string Currency { get; set; } = "";
    public decimal Limit { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class DailyLimitScopes
{
    public const string Account = "ACCOUNT";
    public const string Customer = "CUSTOMER";
}
