namespace Banking.Ledger.Data;

/// <summary>The seed's <c>rb_acct_balance</c>: one balance per account, changed only by <see cref="LedgerOperations"/>.</summary>
public class AccountBalanceRow
{
    public long InternalKey { get; set; }
    public string ClientNo { get; set; } = "";
    public decimal? TotalAmount { get; set; }
    public DateTime? LastChangeDate { get; set; }
    public DateTime? TranTimestamp { get; set; }
}
