namespace Banking.Ledger;

/// <summary>Configuration section <c>Ledger</c> of DebitService and CreditService.</summary>
public sealed class LedgerOptions
{
    public const string Section = "Ledger";

    /// <summary>Create the demo accounts at start (local and demo environments only; never in production).</summary>
    public bool SeedDemoAccounts { get; set; }

    /// <summary>Apply pending migrations at start. Operators who migrate with the <c>migrate</c> command turn this off.</summary>
    public bool MigrateAtStart { get; set; } = true;
}
