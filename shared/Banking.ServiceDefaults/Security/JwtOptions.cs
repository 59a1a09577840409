using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Banking.ServiceDefaults.Security;

/// <summary>
/// JWT bearer settings (section <c>Jwt</c>). Either a shared HS256 key, given as <see cref="SigningKey"/> or as a
/// <see cref="SigningKeyFile"/> (development, the local platform, and deployments whose token issuer shares a secret
/// with us) or an <see cref="Authority"/> / <see cref="MetadataAddress"/> whose JWKS holds the issuer's public keys.
/// </summary>
public sealed class JwtOptions : IValidatableObject
{
    public const string Section = "Jwt";

    /// <summary>HS256 secret, at least 32 bytes of UTF-8.</summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// A file whose content (trimmed) is the HS256 secret: keeps the key out of the environment and the configuration
    /// files, e.g. the key deploy/local/servers.sh generates into its data folder.
    /// </summary>
    public string? SigningKeyFile { get; set; }

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

    public bool UsesSharedKey => !string.IsNullOrEmpty(SigningKey) || !string.IsNullOrEmpty(SigningKeyFile);

    private string? keyFromFile;

    /// <summary>The HS256 secret: <see cref="SigningKey"/>, or the content of <see cref="SigningKeyFile"/> read once.</summary>
    public string SharedKey()
    {
        if (!string.IsNullOrEmpty(SigningKey)) return SigningKey;
        if (string.IsNullOrEmpty(SigningKeyFile)) throw new InvalidOperationException("Jwt: no SigningKey or SigningKeyFile is configured");
        return keyFromFile ??= File.ReadAllText(SigningKeyFile).Trim();
    }

    /// <summary>
    /// In Development a key file replaces the development key that appsettings.Development.json brings along, so a
    /// developer can run against the local platform's key; anywhere else both set is a mistake that validation names.
    /// </summary>
    public void ApplyEnvironment(bool isDevelopment)
    {
        if (isDevelopment && !string.IsNullOrEmpty(SigningKeyFile)) SigningKey = null;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var usesJwks = !string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(MetadataAddress);
        if (!UsesSharedKey && !usesJwks)
            yield return new ValidationResult("Jwt: set SigningKeyFile or SigningKey (HS256), or Authority/MetadataAddress (JWKS)", [nameof(SigningKey)]);
        if (!string.IsNullOrEmpty(SigningKey) && !string.IsNullOrEmpty(SigningKeyFile))
            yield return new ValidationResult("Jwt: set SigningKey or SigningKeyFile, not both", [nameof(SigningKey), nameof(SigningKeyFile)]);
        else if (UsesSharedKey)
        {
            string? key = null, problem = null;
            try
            {
                key = SharedKey();
            }
            catch (IOException e)
            {
                problem = $"Jwt:SigningKeyFile cannot be read ({e.GetType().Name})";
            }
            catch (UnauthorizedAccessException)
            {
                problem = "Jwt:SigningKeyFile cannot be read (access denied)";
            }

            if (problem is not null)
                yield return new ValidationResult(problem, [nameof(SigningKeyFile)]);
            else if (Encoding.UTF8.GetByteCount(key!) < 32)
                yield return new ValidationResult($"Jwt:{(string.IsNullOrEmpty(SigningKey) ? nameof(SigningKeyFile) + "'s key" : nameof(SigningKey))} must be at least 32 bytes", [nameof(SigningKey)]);
        }
        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(5))
            yield return new ValidationResult("Jwt:ClockSkew must be between 0 and 5 minutes", [nameof(ClockSkew)]);
        if (MaxTokenLifetime < TimeSpan.FromMinutes(1) || MaxTokenLifetime > TimeSpan.FromDays(7))
            yield return new ValidationResult("Jwt:MaxTokenLifetime must be between 1 minute and 7 days", [nameof(MaxTokenLifetime)]);
    }
}
