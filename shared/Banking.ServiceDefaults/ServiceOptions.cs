namespace Banking.ServiceDefaults;

/// <summary>Who this process is (configuration section <c>Service</c>).</summary>
public sealed class ServiceOptions
{
    public const string Section = "Service";

    /// <summary>
    /// The name in logs (<c>service</c>), traces and metrics (<c>service.name</c>) and on the broker connection.
    /// Defaults to the application name, i.e. the entry assembly (<c>Banking.Gateway</c>, ...).
    /// </summary>
    public string Name { get; set; } = "";
}
