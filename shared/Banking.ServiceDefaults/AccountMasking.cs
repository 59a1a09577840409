using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Banking.ServiceDefaults;

/// <summary>
/// Masks account and card numbers so they can be shown or logged: the first and last four digits stay,
/// the rest becomes <c>*</c> (<c>6230399991006371427</c> → <c>6230***********1427</c>).
/// </summary>
public static partial class AccountMasking
{
    // 12–19 digits is the length of the bank's account numbers and of card PANs. A run touching a letter or
    // another digit belongs to something else (a hex trace id, a longer number) and is left alone, so ids stay
    // searchable. GUIDs and W3C traceparents are matched first and kept whole: their last group is hex that is
    // all digits often enough (1 in 280 GUIDs) to be taken for an account number otherwise.
    [GeneratedRegex(
        @"(?<id>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})" +
        @"|(?<![0-9A-Za-z])[0-9]{12,19}(?![0-9A-Za-z])",
        RegexOptions.CultureInvariant)]
    private static partial Regex AccountNumber();

    /// <summary>Masks one account number; anything shorter than 12 characters is returned as it is.</summary>
    [return: NotNullIfNotNull(nameof(accountNo))]
    public static string? Mask(string? accountNo)
    {
        if (accountNo is null || accountNo.Length < 12) return accountNo;
        return string.Concat(accountNo.AsSpan(0, 4), new string('*', accountNo.Length - 8), accountNo.AsSpan(accountNo.Length - 4));
    }

    /// <summary>Masks every account number found in free text (a log line, JSON, an exception message).</summary>
    [return: NotNullIfNotNull(nameof(text))]
    public static string? MaskAll(string? text) => MaskAll(text, keep: null);

    /// <param name="keep">A value that must survive even if it looks like an account number (an all-digit span id).</param>
    [return: NotNullIfNotNull(nameof(text))]
    internal static string? MaskAll(string? text, string? keep)
    {
        if (string.IsNullOrEmpty(text)) return text;
        return AccountNumber().Replace(text, match => match.Groups["id"].Success || match.Value == keep ? match.Value : Mask(match.Value));
    }
}
