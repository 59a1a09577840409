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

/// <summary>
/// Configuration section <c>Ledger:DailyLimits</c>: how much an account, and all of one customer's accounts together,
/// may send out in one business date (the bank's time zone, <c>Bank:BusinessTimeZone</c>), counted in the account's
/// currency. An override in the ledger's <c>daily_limit</c> table replaces the default for one account or customer.
/// </summary>
public sealed class DailyLimitOptions
{
    public const string Section = "Ledger:DailyLimits";

    public bool Enabled { get; set; } = true;

    /// <summary>Per source account and business date, unless the account has an override.</summary>
    public decimal AccountDefault { get; set; } = 1_000_000.00m;

    /// <summary>Per customer (<c>CLIENT_NO</c>), currency and business date, across the customer's accounts in this ledger.</summary>
    public decimal CustomerDefault { get; set; } = 2_000_000.00m;

    public static bool IsLimit(decimal value) => value >= 0 && decimal.Round(value, 2) == value && value <= Contracts.TransferRules.MaxRepresentableAmount;
}
