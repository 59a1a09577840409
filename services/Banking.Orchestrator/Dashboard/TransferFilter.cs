using System.Globalization;
using Banking.Contracts;
using Banking.Orchestrator.Apis;

namespace Banking.Orchestrator.Dashboard;

/// <summary>
/// Which transfers the dashboard's list shows, one page at a time. Read from the query string and refused whole
/// when one value is malformed: a filter silently dropped would show the operator transfers they did not ask for.
/// </summary>
public sealed record TransferFilter(
    string? State, bool StuckOnly, int? MinAgeMinutes, string? Account, string? Reference,
    DateTime? FromUtc, DateTime? ToUtc, decimal? MinAmount, decimal? MaxAmount, bool OldestFirst, long? Cursor, int Limit)
{
    private const int DefaultLimit = 50;
    // One page is one indexed range read; the cap keeps a request from asking the database for the whole table.
    private const int MaxLimit = 200;

    /// <summary>The answer to a filter that <see cref="FromQuery"/> refused.</summary>
    public static IResult Malformed() =>
        OperatorErrors.Validation("query", "a filter value is malformed (dates ISO-8601, amounts decimal, limit 1-200)");

    /// <summary>The filter the query string asks for, or null when a value is malformed.</summary>
    public static TransferFilter? FromQuery(IQueryCollection q)
    {
        var state = q["state"].ToString();
        if (state.Length > 0 && !DashboardQueries.AllStates.Contains(state)) return null;
        if (!TryDate(q["from"], out var from) || !TryDate(q["to"], out var to)) return null;
        if (!TryDecimal(q["min_amount"], out var min) || !TryDecimal(q["max_amount"], out var max)) return null;
        int? minAge = null;
        if (q["min_age_minutes"].ToString() is { Length: > 0 } a) { if (!int.TryParse(a, out var m) || m < 0) return null; minAge = m; }
        long? cursor = null;
        if (q["cursor"].ToString() is { Length: > 0 } c) { if (!long.TryParse(c, out var k)) return null; cursor = k; }
        var limit = DefaultLimit;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, out limit) || limit is < 1 or > MaxLimit)) return null;
        var account = q["account"].ToString();
        if (account.Length > 0 && (account.Length > 32 || !account.All(char.IsAsciiDigit))) return null;
        var reference = q["reference"].ToString();
        if (reference.Length > 0 && !TransferRules.IsValidTransferId(reference)) return null;

        return new TransferFilter(state.Length > 0 ? state : null, q["stuck"] == "true", minAge, account.Length > 0 ? account : null,
            reference.Length > 0 ? reference : null, from, to, min, max, q["sort"] == "oldest", cursor, limit);
    }

    // Times are UTC throughout the bank: a date without an offset is read as UTC, one with an offset converted to it.
    private static bool TryDate(string? s, out DateTime? value)
    {
        value = null;
        if (string.IsNullOrEmpty(s)) return true;
        if (!DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d)) return false;
        value = d;
        return true;
    }

    private static bool TryDecimal(string? s, out decimal? value)
    {
        value = null;
        if (string.IsNullOrEmpty(s)) return true;
        if (!decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d)) return false;
        value = d;
        return true;
    }
}
