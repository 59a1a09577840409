namespace Banking.Orchestrator.Data;

/// <summary>Configuration section <c>Core</c>: how <c>bank_core</c> is looked after at start.</summary>
public sealed class CoreDatabaseOptions
{
    public const string Section = "Core";

    /// <summary>Apply pending migrations at start. Operators who migrate with the <c>migrate</c> command turn this off.</summary>
    public bool MigrateAtStart { get; set; } = true;
}
