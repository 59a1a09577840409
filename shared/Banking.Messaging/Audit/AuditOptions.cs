using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Banking.Messaging.Audit;

/// <summary>Configuration section <c>Audit</c> of the services that keep an audit trail.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>
    /// On in every deployment. Off only to measure what the trail costs (the benchmark's same-run comparison): nothing
    /// is then appended, and the service says so at start.
    /// </summary>
    public bool Enabled { get; set; } = true;
}

public static class AuditOptionsExtensions
{
    /// <summary>
    /// Reads <see cref="AuditOptions"/> once, at composition: the trail is written from places without a service
    /// provider (a group's closing step), so the switch is process-wide.
    /// </summary>
    public static IHostApplicationBuilder AddAuditTrail(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuditOptions.Section).Get<AuditOptions>() ?? new AuditOptions();
        AuditChain.Enabled = options.Enabled;
        if (!options.Enabled) Console.Error.WriteLine("WARNING: Audit:Enabled is false: this service appends nothing to its audit trail (for measurement only).");
        return builder;
    }
}
