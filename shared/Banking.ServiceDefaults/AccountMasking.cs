using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Banking.ServiceDefaults.Security;

namespace Banking.ServiceDefaults;

/// <summary>
/// Masks account and card numbers so they can be shown or logged. One rule, wherever a number is shown:
/// 12 digits and more keep the first and last four (<c>6230399991006371427</c> → <c>6230***********1427</c>);
/// shorter numbers (the bank's run from 1 to 32 digits) keep only their last quarter, rounded down
/// (<c>12345678</c> → <c>******78</c>, <c>123</c> → <c>***</c>), so that a short number is never shown whole.
/// </summary>
public static partial class AccountMasking
{
    /// <summary>Roles that see whole account numbers; everyone else (an auditor) sees them masked, on every surface.</summary>
    public static readonly IReadOnlySet<string> FullNumberRoles =
        new HashSet<string>([Roles.Customer, Roles.Channel, Roles.Operator, Roles.Admin], StringComparer.Ordinal);

    // In free text, 12–32 digits: from the shortest account or card number worth masking there up to the longest account
    // number. Shorter runs are amounts, counts and times, and masking them would destroy the logs; short account numbers
    // are masked where they are known to be account numbers (by property name, see MaskingFormatter). A run touching a
    // letter or another digit belongs to something else (a hex trace id, a longer number) and is left alone, so ids stay
    // searchable. GUIDs and W3C traceparents are matched first and kept whole: their last group is hex that is all digits
    // often enough (1 in 280 GUIDs) to be taken for an account number otherwise.
    [GeneratedRegex(
        @"(?<id>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})" +
        @"|(?<![0-9A-Za-z])[0-9]{12,32}(?![0-9A-Za-z])",
        RegexOptions.CultureInvariant)]
    private static partial Regex AccountNumber();

    /// <summary>Whether <paramref name="user"/> may see whole account numbers (the gateway's answers, the dashboard).</summary>
    public static bool SeesFullAccountNumbers(ClaimsPrincipal user) =>
        user.FindAll(BankingClaims.Role).Any(role => FullNumberRoles.Contains(role.Value));

    /// <summary>The number as <paramref name="user"/> may see it.</summary>
    [return: NotNullIfNotNull(nameof(accountNo))]
    public static string? For(ClaimsPrincipal user, string? accountNo) => SeesFullAccountNumbers(user) ? accountNo : Mask(accountNo);

    /// <summary>Masks one account number, whatever its length.</summary>
    [return: NotNullIfNotNull(nameof(accountNo))]
    public static string? Mask(string? accountNo)
    {
        if (string.IsNullOrEmpty(accountNo)) return accountNo;
        if (accountNo.Length < 12)
        {
            var shown = accountNo.Length / 4;
            return string.Concat(new string('*', accountNo.Length - shown), accountNo.AsSpan(accountNo.Length - shown));
        }

        return string.Concat(accountNo.AsSpan(0, 4), new string('*', accountNo.Length - 8), accountNo.AsSpan(accountNo.Length - 4));
    }

    /// <summary>Masks every 12–32-digit account number found in free text (a log line, JSON, an exception message).</summary>
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
