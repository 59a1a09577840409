using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Banking.ServiceDefaults.Security;

/// <summary>
/// JWT bearer settings (section <c>Jwt</c>). Either a shared HS256 <see cref="SigningKey"/> (development, and
/// deployments whose token issuer shares a secret with us) or an <see cref="Authority"/> /
/// <see cref="MetadataAddress"/> whose JWKS holds the issuer's public keys (production).
/// </summary>
public sealed class JwtOptions : IValidatableObject
{
    public const string Section = "Jwt";

    /// <summary>HS256 secret, at least 32 bytes of UTF-8.</summary>
    public string? SigningKey { get; set; }

    [Required]
    public string Issuer { get; set; } = "";

    [Required]
    public string Audience { get; set; } = "";

    /// <summary>OpenID Connect authority; its discovery document names the JWKS.</summary>
    public string? Authority { get; set; }

    /// <summary>Explicit discovery document address, when it is not under <see cref="Authority"/>.</summary>
    public string? MetadataAddress { get; set; }

    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Tolerance for clocks that disagree; kept short because tokens are short-lived.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest a token may be valid, counted from its nbf and from now: a token minted for years is a
    /// stolen credential that never expires, whatever its issuer meant.
    /// </summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    public bool UsesSharedKey => !string.IsNullOrEmpty(SigningKey);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var usesJwks = !string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(MetadataAddress);
        if (!UsesSharedKey && !usesJwks)
            yield return new ValidationResult("Jwt: set SigningKey (HS256) or Authority/MetadataAddress (JWKS)", [nameof(SigningKey)]);
        if (UsesSharedKey && Encoding.UTF8.GetByteCount(SigningKey!) < 32)
            yield return new ValidationResult("Jwt:SigningKey must be at least 32 bytes", [nameof(SigningKey)]);
        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(5))
            yield return new ValidationResult("Jwt:ClockSkew must be between 0 and 5 minutes", [nameof(ClockSkew)]);
        if (MaxTokenLifetime < TimeSpan.FromMinutes(1) || MaxTokenLifetime > TimeSpan.FromDays(7))
            yield return new ValidationResult("Jwt:MaxTokenLifetime must be between 1 minute and 7 days", [nameof(MaxTokenLifetime)]);
    }
}
