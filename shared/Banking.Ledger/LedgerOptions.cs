using System.ComponentModel.DataAnnotations;

namespace Banking.Ledger;

/// <summary>Configuration section <c>Ledger</c> of DebitService and CreditService.</summary>
public sealed class LedgerOptions
{
    public const string Section = "Ledger";

    /// <summary>Create the demo accounts at start (local and demo environments only; never in production).</summary>
    public bool SeedDemoAccounts { get; set; }

    /// <summary>Apply pending migrations at start. Operators who migrate with the <c>migrate</c> command turn this off.</summary>
    public bool MigrateAtStart { get; set; } = true;

    /// <summary>
    /// The broker login of the orchestrator: the only sender whose commands move money here. RabbitMQ validates the
    /// AMQP <c>user_id</c> against the connection's login, so a command claiming any other (or no) user is refused.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string CommandSender { get; set; } = "orchestrator";
}
