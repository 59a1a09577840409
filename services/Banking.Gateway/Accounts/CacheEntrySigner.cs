using System.Security.Cryptography;
using System.Text;
using Banking.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Accounts;

/// <summary>
/// Authenticates what the gateway keeps in Redis. Redis is shared and may be written by others (issue 15: an entry
/// naming another CLIENT_NO opened a foreign account), so an entry counts only with a valid HMAC-SHA256 over its key
/// and its content. The key is derived (HKDF) from <c>Gateway:CacheSigningKey</c>, or from the JWT signing key when
/// that is not set; one of them is required at start. Every gateway instance derives the same key, so the cache
/// stays shared.
/// </summary>
public sealed class CacheEntrySigner
{
    private const string Version = "v1";
    private static readonly byte[] Purpose = "banking-gateway/redis-entry/v1"u8.ToArray();

    private readonly byte[] key;

    public CacheEntrySigner(IOptions<GatewayOptions> gateway, IOptions<JwtOptions> jwt)
    {
        var secret = KeyMaterial(gateway.Value, jwt.Value)
            ?? throw new InvalidOperationException("Gateway:CacheSigningKey (or a shared Jwt:SigningKey or Jwt:SigningKeyFile) is required to protect the Redis cache");
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, salt: [], info: Purpose);
    }

    /// <summary>The configured secret the cache key is derived from, or null when there is none.</summary>
    public static string? KeyMaterial(GatewayOptions gateway, JwtOptions jwt) =>
        !string.IsNullOrEmpty(gateway.CacheSigningKey) ? gateway.CacheSigningKey
        : jwt.UsesSharedKey ? jwt.SharedKey()
        : null;

    /// <summary><c>v1.{mac}.{content}</c>; the MAC also covers the Redis key, so an entry moved under another key is worthless.</summary>
    public string Sign(string redisKey, string content) => $"{Version}.{Convert.ToBase64String(Mac(redisKey, content))}.{content}";

    /// <summary>The content of an entry written by <see cref="Sign"/> for this very key, or null for anything else.</summary>
    public string? Verify(string redisKey, string entry)
    {
        var parts = entry.Split('.', 3);
        if (parts.Length != 3 || parts[0] != Version) return null;

        Span<byte> presented = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(parts[1], presented, out var written) || written != presented.Length) return null;
        return CryptographicOperations.FixedTimeEquals(presented, Mac(redisKey, parts[2])) ? parts[2] : null;
    }

    private byte[] Mac(string redisKey, string content)
    {
        // Length-prefixed, so that no split of key and content can be shifted into another.
        var keyBytes = Encoding.UTF8.GetBytes(redisKey);
        var contentBytes = Encoding.UTF8.GetBytes(content);
        var message = new byte[4 + keyBytes.Length + contentBytes.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message, keyBytes.Length);
        keyBytes.CopyTo(message, 4);
        contentBytes.CopyTo(message, 4 + keyBytes.Length);
        return HMACSHA256.HashData(key, message);
    }
}
