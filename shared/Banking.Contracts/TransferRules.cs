using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
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

    /// <summary><c>transfer_log.requested_by</c> is VARCHAR(100): longer is refused, never cut silently into the audit trail.</summary>
    public const int MaxRequestedByLength = 100;

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

    /// <summary>
    /// The whole rule set, for every channel: the shape (<see cref="Validate"/>), who asked, the currencies served and
    /// the per-transfer limit, in the order the gateway reports them. Returns the first refusal, or null.
    /// </summary>
    public static TransferRefusal? Check(string? transferId, string? fromAccount, string? toAccount, decimal amount, string? currency,
        string? description, string? requestedBy, TransferLimits limits)
    {
        if (Validate(transferId, fromAccount, toAccount, amount, currency, description) is var (field, message))
            return TransferRefusal.Invalid(field, message);
        if (requestedBy is not null && requestedBy.Length > MaxRequestedByLength)
            return TransferRefusal.Invalid("requested_by", $"must be at most {MaxRequestedByLength} characters");
        if (!limits.Currencies.Contains(currency!, StringComparer.Ordinal))
            return TransferRefusal.Invalid("currency", $"'{currency}' is not served; accepted: {string.Join(", ", limits.Currencies)}");
        if (amount > limits.MaxTransferAmount)
            return new TransferRefusal(ReasonCodes.LimitExceeded, "amount",
                $"exceeds the per-transfer limit of {limits.MaxTransferAmount.ToString("F2", CultureInfo.InvariantCulture)}");
        return null;
    }

    /// <summary>
    /// Reads an amount exactly as written in JSON: it must be a JSON number (not a string) with at most 2 significant
    /// decimals counted in the text itself, because decimal parsing would round 30 decimals to 28 without a word.
    /// </summary>
    public static (decimal Amount, TransferRefusal? Refusal) ReadAmount(JsonElement value)
    {
        if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return (0m, TransferRefusal.Invalid("amount", "is required"));
        if (value.ValueKind != JsonValueKind.Number) return (0m, TransferRefusal.Invalid("amount", $"must be a JSON number, not {Describe(value)}"));
        if (DecimalPlaces(value.GetRawText()) > 2) return (0m, TransferRefusal.Invalid("amount", "must have at most 2 decimal places"));
        if (!value.TryGetDecimal(out var amount) || amount > MaxRepresentableAmount) return (0m, TransferRefusal.Invalid("amount", "is too large"));
        return (amount, null);
    }

    /// <summary>What a JSON value is, for a message that says what was expected instead ("not a string").</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    /// <summary>Significant decimal places of a JSON number's text (trailing zeros do not count; exponents do).</summary>
    public static long DecimalPlaces(string number)
    {
        var text = number.AsSpan();
        var exponentAt = text.IndexOfAny('e', 'E');
        long exponent = 0;
        if (exponentAt >= 0)
        {
            // More than 18 digits of exponent saturate; the amount is out of range either way.
            if (!long.TryParse(text[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
                exponent = text[exponentAt + 1] == '-' ? -1_000_000 : 1_000_000;
            text = text[..exponentAt];
        }

        var point = text.IndexOf('.');
        var integer = (point >= 0 ? text[..point] : text).TrimStart('-');
        var fraction = point >= 0 ? text[(point + 1)..] : [];
        long places = fraction.Length - exponent;

        var digits = string.Concat(integer, fraction).AsSpan();
        var trailingZeros = digits.Length - digits.TrimEnd('0').Length;
        places -= Math.Min(trailingZeros, Math.Max(0, places));
        return Math.Max(0, places);
    }

    /// <summary>
    /// The fingerprint of a request's money-relevant fields that tells a repeated request from another one under the
    /// same transfer id, on every channel: SHA-256 (hex) of a JSON array of from, to, the amount with exactly two
    /// decimals, currency and description (the gateway's <c>TransferInput.RequestHash</c> too, so REST and upstream agree).
    /// </summary>
    public static string RequestHash(string fromAccount, string toAccount, decimal amount, string currency, string? description)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(fromAccount);
            writer.WriteStringValue(toAccount);
            writer.WriteStringValue((decimal.Round(amount, 2, MidpointRounding.ToEven) + 0.00m).ToString("F2", CultureInfo.InvariantCulture));
            writer.WriteStringValue(currency);
            if (description is null) writer.WriteNullValue(); else writer.WriteStringValue(description);
            writer.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
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
