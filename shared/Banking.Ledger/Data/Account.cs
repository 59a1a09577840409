namespace Banking.Ledger.Data;

/// <summary>The seed's <c>rb_acct</c>: an account and who owns it.</summary>
public class Account
{
    public long InternalKey { get; set; }
    public string ClientNo { get; set; } = "";
    public string BaseAcctNo { get; set; } = "";
    public string? AcctName { get; set; }
    public string? AcctCcy { get; set; }

    /// <summary><c>A</c> active; any other status restricts the account (e.g. <c>R</c> restricted, <c>C</c> closed, <c>F</c> frozen).</summary>
    public string? AcctStatus { get; set; }
    public string? AcctBranch { get; set; }
    public DateTime? AcctOpenDate { get; set; }
    public DateTime? TranTimestamp { get; set; }
}
