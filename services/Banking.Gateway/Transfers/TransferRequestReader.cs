using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using Banking.Contracts;
using Banking.ServiceDefaults;

namespace Banking.Gateway.Transfers;

/// <summary>
/// Reads a transfer request with <see cref="JsonDocument"/> rather than model binding, so every problem
/// names its field, and the amount is read exactly from its digits (never through a double).
/// </summary>
public sealed class TransferRequestReader(GatewayOptions options)
{
    private readonly TransferLimits limits = new(options.MaxTransferAmount, options.Currencies);

    private static readonly string[] KnownFields = ["from_account", "to_account", "amount", "currency", "description", "reference"];

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 8,
    };

    public (TransferInput? Input, ApiError? Error) Read(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty) return Fail(ApiError.Validation("body", "is empty; a JSON object is expected"));

        // The JSON reader checks UTF-8 only when a string is read, and then throws InvalidOperationException (a 500).
        // Checking the whole body first also refuses overlong forms and encoded surrogates.
        if (!Utf8.IsValid(body.Span)) return Fail(ApiError.Validation("body", "is not valid UTF-8"));

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            return Fail(ApiError.Validation("body", $"is not valid JSON{where}"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail(ApiError.Validation("body", "must be a JSON object"));

            var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!TryReadName(property, out var fullName)) return Fail(ApiError.Validation("body", "has a field name that is not valid Unicode (a lone surrogate escape)"));
                var name = fullName.Length > 64 ? fullName[..64] : fullName;
                if (!KnownFields.Contains(fullName)) return Fail(ApiError.Validation(name, "is not a field of a transfer request"));
                if (!fields.TryAdd(fullName, property.Value)) return Fail(ApiError.Validation(name, "appears more than once"));
            }

            var (reference, referenceError) = OptionalString(fields, "reference");
            if (referenceError is not null) return Fail(referenceError);
            var (from, fromError) = RequiredString(fields, "from_account");
            if (fromError is not null) return Fail(fromError);
            var (to, toError) = RequiredString(fields, "to_account");
            if (toError is not null) return Fail(toError);
            var (amount, amountError) = ExactAmount(fields);
            if (amountError is not null) return Fail(amountError);
            var (currency, currencyError) = RequiredString(fields, "currency");
            if (currencyError is not null) return Fail(currencyError);
            var (description, descriptionError) = OptionalString(fields, "description");
            if (descriptionError is not null) return Fail(descriptionError);

            // The one rule set, the same the saga applies to every channel; the gateway only says it in HTTP.
            if (TransferRules.Check(reference, from, to, amount, currency, description, requestedBy: null, limits) is { } refusal)
            {
                return Fail(refusal.ReasonCode != ReasonCodes.LimitExceeded
                    ? ApiError.Validation(refusal.Field, refusal.Message)
                    : new ApiError(StatusCodes.Status422UnprocessableEntity, ReasonCodes.LimitExceeded,
                        $"The amount exceeds the per-transfer limit of {Money.Of(options.MaxTransferAmount).ToString("F2", CultureInfo.InvariantCulture)}",
                        new Dictionary<string, object?>
                        {
                            ["field"] = "amount",
                            ["limit"] = Money.Of(options.MaxTransferAmount),
                            ["requested_amount"] = Money.Of(amount),
                        }));
            }

            return (new TransferInput(reference ?? TransferIds.NewTransferId(), from!, to!, amount, currency!, description), null);
        }
    }

    private static (TransferInput?, ApiError?) Fail(ApiError error) => (null, error);

    private static (string?, ApiError?) RequiredString(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null) return (null, ApiError.Validation(name, "is required"));
        return value.ValueKind == JsonValueKind.String ? ReadString(value, name) : (null, ApiError.Validation(name, $"must be a string, not {TransferRules.Describe(value)}"));
    }

    private static (string?, ApiError?) OptionalString(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null) return (null, null);
        return value.ValueKind == JsonValueKind.String ? ReadString(value, name) : (null, ApiError.Validation(name, $"must be a string, not {TransferRules.Describe(value)}"));
    }

    // The bytes are valid UTF-8 by now, but an escape such as \ud800 can still name half a surrogate pair, which
    // GetString refuses with InvalidOperationException.
    private static (string?, ApiError?) ReadString(JsonElement value, string name)
    {
        try
        {
            return (value.GetString(), null);
        }
        catch (InvalidOperationException)
        {
            return (null, ApiError.Validation(name, "is not valid Unicode (a lone surrogate escape)"));
        }
    }

    private static bool TryReadName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }

    private static (decimal, ApiError?) ExactAmount(Dictionary<string, JsonElement> fields)
    {
        var (amount, refusal) = TransferRules.ReadAmount(fields.TryGetValue("amount", out var value) ? value : default);
        return refusal is null ? (amount, null) : (0, ApiError.Validation(refusal.Field, refusal.Message));
    }
}
