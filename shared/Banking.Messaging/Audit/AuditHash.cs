using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Banking.Messaging.Audit;

/// <summary>
/// The canonical encoding of an audit row and its hash. Every field is written as its UTF-8 length, a colon and its
/// bytes (a null as <c>-</c>), in a fixed order, so no two different rows encode alike; times to the microsecond, as
/// <c>datetime(6)</c> stores them.
/// </summary>
public static class AuditHash
{
    /// <summary>The previous hash of a chain's first row.</summary>
    public static readonly string Genesis = new('0', 64);

    public static string Of(AuditRecord row)
    {
        var text = new StringBuilder(256);
        void Field(string? value)
        {
            if (value is null) text.Append("-;");
            else text.Append(Encoding.UTF8.GetByteCount(value).ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append(';');
        }

        Field(row.Chain);
        Field(row.Seq.ToString(CultureInfo.InvariantCulture));
        Field(row.OccurredAt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        Field(row.Actor);
        Field(row.Action);
        Field(row.Subject);
        Field(row.SourceAddress);
        Field(row.Details);
        Field(row.PreviousHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
