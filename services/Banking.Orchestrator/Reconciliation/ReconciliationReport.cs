using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Banking.Orchestrator.Reconciliation;

/// <summary>The stable codes of the end-of-day report's mismatches (docs/RECONCILIATION.md says what each means).</summary>
public static class MismatchCodes
{
    public const string SuccessWithoutDebit = "SUCCESS_WITHOUT_DEBIT";
    public const string SuccessWithoutCredit = "SUCCESS_WITHOUT_CREDIT";
    public const string SuccessWithReversal = "SUCCESS_WITH_REVERSAL";
    public const string RollbackWithoutDebit = "ROLLBACK_WITHOUT_DEBIT";
    public const string RollbackWithoutReversal = "ROLLBACK_WITHOUT_REVERSAL";
    public const string RollbackWithCredit = "ROLLBACK_WITH_CREDIT";
    public const string FailedWithMovement = "FAILED_WITH_MOVEMENT";
    public const string DuplicateMovement = "DUPLICATE_MOVEMENT";
    public const string UnexpectedMovement = "UNEXPECTED_MOVEMENT";
    public const string AmountMismatch = "AMOUNT_MISMATCH";
    public const string CurrencyMismatch = "CURRENCY_MISMATCH";
    public const string AccountMismatch = "ACCOUNT_MISMATCH";
    public const string OrphanLedgerRow = "ORPHAN_LEDGER_ROW";
    public const string AccountBalanceBroken = "ACCOUNT_BALANCE_BROKEN";
}

/// <param name="Account">Masked: a report travels (mail, tickets), so it never carries a full account number.</param>
public sealed record Mismatch(string Code, string? TransferId, string? Ledger, string? Account, string Detail);

/// <summary>One account's day: opening + credits − debits = closing, as its history rows say.</summary>
public sealed record AccountDay(string Ledger, string Account, string Currency, decimal Opening, decimal Debits, decimal Credits, decimal Closing, int Movements);

public sealed record TransferCounts(int Success, int Rollback, int Failed, int Pending);

public sealed record ReconciliationReport(
    DateOnly BusinessDate,
    string BusinessTimeZone,
    DateTime FromUtc,
    DateTime ToUtc,
    DateTime GeneratedAtUtc,
    TransferCounts Transfers,
    IReadOnlyList<AccountDay> Accounts,
    IReadOnlyList<Mismatch> Mismatches)
{
    public bool Clean => Mismatches.Count == 0;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// One table: a <c>summary</c> row, one <c>account</c> row per account that moved, one <c>mismatch</c> row per
    /// mismatch, so a spreadsheet filters on the first column.
    /// </summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.AppendLine("record,business_date,code,transfer_id,ledger,account,currency,opening,debits,credits,closing,detail");
        var date = BusinessDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        csv.AppendLine(Row("summary", date, Clean ? "CLEAN" : "MISMATCH", null, null, null, null, null, null, null, null,
            $"success={Transfers.Success} rollback={Transfers.Rollback} failed={Transfers.Failed} pending={Transfers.Pending} mismatches={Mismatches.Count}"));
        foreach (var a in Accounts)
            csv.AppendLine(Row("account", date, null, null, a.Ledger, a.Account, a.Currency, Money(a.Opening), Money(a.Debits), Money(a.Credits), Money(a.Closing), $"movements={a.Movements}"));
        foreach (var m in Mismatches)
            csv.AppendLine(Row("mismatch", date, m.Code, m.TransferId, m.Ledger, m.Account, null, null, null, null, null, m.Detail));
        return csv.ToString();
    }

    private static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Row(params string?[] fields) => string.Join(',', fields.Select(Field));

    // RFC 4180, and a leading = + - @ neutralised so that a spreadsheet never runs a cell as a formula.
    private static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '@' || (value[0] == '-' && !decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _)))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
