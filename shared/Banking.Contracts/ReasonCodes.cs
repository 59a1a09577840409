namespace Banking.Contracts;

/// <summary>
/// Why an operation did not move money. The same codes are the gateway's error codes,
/// so a rejection travels from the ledger to the channel app without translation.
/// </summary>
public static class ReasonCodes
{
    public const string InsufficientBalance = "INSUFFICIENT_BALANCE";
    public const string AccountRestricted = "ACCOUNT_RESTRICTED";
    public const string AccountNotFound = "ACCOUNT_NOT_FOUND";
    public const string CurrencyMismatch = "CURRENCY_MISMATCH";
    public const string LimitExceeded = "LIMIT_EXCEEDED";

    /// <summary>The debit would take the account or its customer over the day's cumulative outgoing limit.</summary>
    public const string DailyLimitExceeded = "DAILY_LIMIT_EXCEEDED";
    public const string ValidationError = "VALIDATION_ERROR";

    /// <summary>A transfer id already names a transfer with other content; that transfer is not touched.</summary>
    public const string DuplicateReference = "DUPLICATE_REFERENCE";

    /// <summary>The operation was fenced by an earlier cancel (safe abort) and will never be applied.</summary>
    public const string Cancelled = "CANCELLED";

    /// <summary>An operator aborted the transfer.</summary>
    public const string AbortedByOperator = "ABORTED_BY_OPERATOR";
}
