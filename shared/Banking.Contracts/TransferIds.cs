using System.Security.Cryptography;
using System.Text;

namespace Banking.Contracts;

/// <summary>
/// A transfer is named by its reference (the seed's <c>transfer_id</c>, a string), while MassTransit
/// correlates sagas by <see cref="Guid"/>. The correlation id is derived from the reference
/// (name-based UUID, version 5) so that every service and every upstream system reaches the same
/// saga from the reference alone, without a lookup table.
/// </summary>
public static class TransferIds
{
    public const int MaxLength = 50;

    private static readonly Guid Namespace = new("6f1c3c52-8a8e-4c1b-9d8e-2b1f0d6a4e11");

    public static Guid CorrelationIdFor(string transferId)
    {
        ArgumentException.ThrowIfNullOrEmpty(transferId);

        Span<byte> name = stackalloc byte[16 + Encoding.UTF8.GetMaxByteCount(transferId.Length)];
        Namespace.TryWriteBytes(name[..16], bigEndian: true, out _);
        var length = 16 + Encoding.UTF8.GetBytes(transferId, name[16..]);

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(name[..length], hash);

        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>A new reference for a request that came without one: sortable by time, 32 characters.</summary>
    public static string NewTransferId() => "TXN" + Guid.CreateVersion7().ToString("N")[..29].ToUpperInvariant();
}
