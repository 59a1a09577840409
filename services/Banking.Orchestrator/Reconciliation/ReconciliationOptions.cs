using System.ComponentModel.DataAnnotations;

namespace Banking.Orchestrator.Reconciliation;

/// <summary>
/// Configuration section <c>Reconciliation</c>, and the two read-only ledger logins it uses
/// (<c>ConnectionStrings:ReconciliationDb1</c>, <c>ConnectionStrings:ReconciliationDb2</c>). Without both logins the
/// orchestrator runs without reconciliation (its specs and the dashboard's need no ledgers); with only one it does not
/// start, since half a bank cannot be reconciled.
/// </summary>
public sealed class ReconciliationOptions : IValidatableObject
{
    public const string Section = "Reconciliation";
    public const string Db1ConnectionStringName = "ReconciliationDb1";
    public const string Db2ConnectionStringName = "ReconciliationDb2";

    /// <summary>How often the continuous check runs (the issue asks for every minute).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Run the continuous check in this instance; off leaves only the end-of-day report (command and API).</summary>
    public bool Continuous { get; set; } = true;

    /// <summary>Seconds a ledger query may take: the end-of-day report of a busy day scans its history.</summary>
    [Range(5, 3600)]
    public int CommandTimeoutSeconds { get; set; } = 300;

    /// <summary>DB1's read-only login (from <c>ConnectionStrings:ReconciliationDb1</c>, not from this section).</summary>
    public string? Db1 { get; set; }

    /// <summary>DB2's read-only login (from <c>ConnectionStrings:ReconciliationDb2</c>).</summary>
    public string? Db2 { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Db1) && !string.IsNullOrWhiteSpace(Db2);

    public string Ledger(int database) => (database == 1 ? Db1 : Db2)
        ?? throw new InvalidOperationException($"ConnectionStrings:{(database == 1 ? Db1ConnectionStringName : Db2ConnectionStringName)} is not set");

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Db1) != string.IsNullOrWhiteSpace(Db2))
            yield return new ValidationResult(
                $"ConnectionStrings:{Db1ConnectionStringName} and ConnectionStrings:{Db2ConnectionStringName} are set together or not at all: reconciliation needs both ledgers",
                [nameof(Db1), nameof(Db2)]);
    }
}
