namespace Banking.Ledger.Data;

/// <summary>The seed's <c>rb_tran_hist</c>: one row per balance change, with the balance before and after it.</summary>
public class TransactionHistory
{
    public string SeqNo { get; set; } = "";
    public long? InternalKey { get; set; }
    public string? ClientNo { get; set; }
    public string? BaseAcctNo { get; set; }
    public string? TranType { get; set; }
    public decimal? TranAmt { get; set; }
    public decimal? PreviousBalAmt { get; set; }
    public decimal? ActualBal { get; set; }

    /// <summary><c>D</c> debit, <c>C</c> credit.</summary>
    public string? CrDrInd { get; set; }
    public DateTime? TranDate { get; set; }

    /// <summary>The transfer id.</summary>
    public string? Reference { get; set; }
    public string? Narrative { get; set; }
    public string? TranStatus { get; set; }
    public DateTime? TranTimestamp { get; set; }
}
