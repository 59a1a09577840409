using System.Text.RegularExpressions;

namespace Banking.Contracts;

/// <summary>
/// The shape every transfer must have, wherever it enters (REST or a message from an upstream system).
/// The gateway reports the first broken rule to the caller; the saga refuses a malformed message the same way.
/// </summary>
public static partial class TransferRules
{
    public const int MaxAccountNoLength = 32;
    public const int MaxDescriptionLength = 500;

    /// <summary>DECIMAL(20,2): 18 digits before the point.</summary>
    public const decimal MaxRepresentableAmount = 999_999_999_999_999_999.99m;

    /// <summary>Returns (field, message) for the first rule the request breaks, or null when it is well formed.</summary>
    public static (string Field, string Message)? Validate(string? transferId, string? fromAccount, string? toAccount, decimal amount, string? currency, string? description)
    {
        if (transferId is not null && !IsValidTransferId(transferId))
            return ("reference", $"must be 1 to {TransferIds.MaxLength} characters of A-Z, a-z, 0-9, '_' or '-'");
        if (!IsValidAccountNo(fromAccount))
            return ("from_account", $"must be 1 to {MaxAccountNoLength} digits");
        if (!IsValidAccountNo(toAccount))
            return ("to_account", $"must be 1 to {MaxAccountNoLength} digits");
        if (fromAccount == toAccount)
            return ("to_account", "must differ from from_account");
        if (amount <= 0)
            return ("amount", "must be greater than 0");
        if (amount.Scale > 2 && decimal.Round(amount, 2) != amount)
            return ("amount", "must have at most 2 decimal places");
        if (amount > MaxRepresentableAmount)
            return ("amount", "is too large");
        if (currency is null || !CurrencyPattern().IsMatch(currency))
            return ("currency", "must be a 3-letter ISO 4217 code in upper case");
        if (description is not null && description.Length > MaxDescriptionLength)
            return ("description", $"must be at most {MaxDescriptionLength} characters");
        return null;
    }

    public static bool IsValidTransferId(string? transferId) =>
        transferId is not null && TransferIdPattern().IsMatch(transferId);

    public static bool IsValidAccountNo(string? accountNo) =>
        accountNo is not null && AccountNoPattern().IsMatch(accountNo);

    // \z, not $: $ also matches before a trailing newline, and "X\n" would be a second valid id next to "X".
    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,50}\z")]
    private static partial Regex TransferIdPattern();

    [GeneratedRegex(@"^[0-9]{1,32}\z")]
    private static partial Regex AccountNoPattern();

    [GeneratedRegex(@"^[A-Z]{3}\z")]
    private static partial Regex CurrencyPattern();
}
