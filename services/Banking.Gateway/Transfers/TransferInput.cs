using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Banking.Gateway.Transfers;

/// <summary>A transfer request that passed validation. <see cref="Reference"/> is the transfer id.</summary>
public sealed record TransferInput(string Reference, bool ReferenceGenerated, string FromAccount, string ToAccount, decimal Amount, string Currency, string? Description)
{
    /// <summary>
    /// SHA-256 (hex) of the money-relevant fields in a fixed form: a JSON array of from, to, the amount with
    /// exactly two decimals, currency and description. 1000, 1000.0 and 1000.00 are the same request.
    /// </summary>
    public string RequestHash { get; } = Hash(FromAccount, ToAccount, Amount, Currency, Description);

    public static string Hash(string fromAccount, string toAccount, decimal amount, string currency, string? description)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(fromAccount);
            writer.WriteStringValue(toAccount);
            writer.WriteStringValue(Money.Of(amount).ToString("F2", CultureInfo.InvariantCulture));
            writer.WriteStringValue(currency);
            if (description is null) writer.WriteNullValue(); else writer.WriteStringValue(description);
            writer.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>True when a recorded transfer carries the same money-relevant fields as this request.</summary>
    public bool SameMoneyAs(string? fromAccount, string? toAccount, decimal amount, string? currency) =>
        fromAccount == FromAccount && toAccount == ToAccount && amount == Amount && currency == Currency;
}

/// <summary>The request body as documented (snake_case on the wire). Parsing is done by <see cref="TransferRequestReader"/>.</summary>
public sealed record TransferRequestBody(string FromAccount, string ToAccount, decimal Amount, string Currency, string? Description, string? Reference);
