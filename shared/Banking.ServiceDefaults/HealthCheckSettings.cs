using System.ComponentModel.DataAnnotations;

namespace Banking.ServiceDefaults;

/// <summary>Readiness probes (configuration section <c>HealthChecks</c>).</summary>
public sealed class HealthCheckSettings
{
    public const string Section = "HealthChecks";

    /// <summary>
    /// How long one dependency may take to answer before it counts as down. Kept well under the platform's probe
    /// timeout (Kubernetes and compose default to 1–10 s), so a dead server makes the probe fail rather than hang.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:10")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often every check runs in the background for <c>banking_dependency_up</c>, probes or not.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PublishPeriod { get; set; } = TimeSpan.FromSeconds(10);
}
