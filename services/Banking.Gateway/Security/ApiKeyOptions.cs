using System.ComponentModel.DataAnnotations;
using Banking.ServiceDefaults.Security;

namespace Banking.Gateway.Security;

/// <summary>API keys for external systems (section <c>ApiKeys</c>). Only hashes are configured, never the keys.</summary>
public sealed class ApiKeyOptions : IValidatableObject
{
    public const string Section = "ApiKeys";

    public List<ApiKeyEntry> Keys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var key in Keys)
        {
            if (string.IsNullOrWhiteSpace(key.Name))
                yield return new ValidationResult("ApiKeys:Keys: every key needs a Name", [nameof(Keys)]);
            if (key.KeyHash is not { Length: 64 } || !key.KeyHash.All(char.IsAsciiHexDigit))
                yield return new ValidationResult($"ApiKeys:Keys '{key.Name}': KeyHash must be the SHA-256 of the key in hex (64 characters)", [nameof(Keys)]);
            foreach (var role in key.Roles)
            {
                if (!Roles.All.Contains(role))
                    yield return new ValidationResult($"ApiKeys:Keys '{key.Name}': unknown role '{role}'", [nameof(Keys)]);
            }

            if (key.Roles.Contains(Roles.Customer) && string.IsNullOrEmpty(key.ClientNo))
                yield return new ValidationResult($"ApiKeys:Keys '{key.Name}': a customer key needs a ClientNo", [nameof(Keys)]);
        }

        if (Keys.GroupBy(k => k.Name, StringComparer.Ordinal).Any(g => g.Count() > 1))
            yield return new ValidationResult("ApiKeys:Keys: names must be unique", [nameof(Keys)]);
    }
}

public sealed class ApiKeyEntry
{
    public string Name { get; set; } = "";

    /// <summary>SHA-256 of the key, hex.</summary>
    public string KeyHash { get; set; } = "";

    public string[] Roles { get; set; } = [];
    public string? ClientNo { get; set; }
    public bool Revoked { get; set; }
}
