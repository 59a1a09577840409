using System.ComponentModel.DataAnnotations;
using Banking.Contracts;

namespace Banking.Orchestrator;

/// <summary>Timing of a transfer's steps (configuration section <c>Transfers</c>).</summary>
public class TransferOptions : IValidatableObject
{
    public const string Section = "Transfers";

    private static readonly string[] DefaultCurrencies = ["CNY", "USD", "EUR", "HKD"];

    /// <summary>Per-transfer limit the saga enforces for every channel; above it a transfer fails <c>LIMIT_EXCEEDED</c>.</summary>
    [Range(typeof(decimal), "0.01", "999999999999999999.99")]
    public decimal MaxTransferAmount { get; set; } = 1_000_000.00m;

    /// <summary>
    /// ISO 4217 codes served. Null in code on purpose: configuration binding appends to an array it finds, so a
    /// default array could never be narrowed; unset means <see cref="DefaultCurrencies"/>.
    /// </summary>
    public string[]? Currencies { get; set; }

    public TransferLimits Limits => limits ??= new TransferLimits(MaxTransferAmount, Currencies is { Length: > 0 } c ? c : DefaultCurrencies);

    private TransferLimits? limits;

    /// <summary>How long a step may go unanswered before it is sent again (first retry; later retries back off).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest wait between two attempts of a step, however many have failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "06:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A transfer in flight longer than this is flagged stuck (metric and dashboard); it keeps being retried.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StuckThreshold { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the sweeper looks for steps past their deadline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The debit ledger's broker login: the only sender whose AccountDebited, DebitRejected, DebitReversed and
    /// DebitCancelled the saga believes (RabbitMQ validates <c>user_id</c> against the connection's login).
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string DebitLedgerSender { get; set; } = "debit-service";

    /// <summary>The credit ledger's broker login: the only sender of AccountCredited, CreditRejected and CreditCancelled.</summary>
    [Required(AllowEmptyStrings = false)]
    public string CreditLedgerSender { get; set; } = "credit-service";

    /// <summary>
    /// Above this amount a retry or an abort needs a second operator (four eyes): the first asks with a reason, another
    /// approves or rejects. Null: one operator always acts alone.
    /// </summary>
    [Range(typeof(decimal), "0.00", "999999999999999999.99")]
    public decimal? FourEyesThreshold { get; set; } = 50_000.00m;

    /// <summary>
    /// The orchestrator's own broker login: the only sender of operator commands (retry, abort, approve, reject). They
    /// come from its operator API and dashboard; anyone else with a broker login could otherwise approve an abort.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string OperatorCommandSender { get; set; } = "orchestrator";

    /// <summary>The gateway's broker login: the only sender whose audited reads (<c>ReadsAudited</c>) go into the audit trail.</summary>
    [Required(AllowEmptyStrings = false)]
    public string GatewaySender { get; set; } = "gateway";

    /// <summary>True when an action on a transfer of <paramref name="amount"/> needs a second operator.</summary>
    public bool NeedsSecondOperator(decimal amount) => FourEyesThreshold is { } threshold && amount > threshold;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxTransferAmount != decimal.Round(MaxTransferAmount, 2))
            yield return new ValidationResult("Transfers:MaxTransferAmount must have at most 2 decimals", [nameof(MaxTransferAmount)]);
        if (FourEyesThreshold is { } fourEyes && fourEyes != decimal.Round(fourEyes, 2))
            yield return new ValidationResult("Transfers:FourEyesThreshold must have at most 2 decimals", [nameof(FourEyesThreshold)]);
        foreach (var currency in Currencies ?? [])
        {
            if (currency is not { Length: 3 } || !currency.All(char.IsAsciiLetterUpper))
                yield return new ValidationResult($"Transfers:Currencies: '{currency}' is not a 3-letter upper-case ISO 4217 code", [nameof(Currencies)]);
        }
    }

    /// <summary>
    /// The delay before attempt <paramref name="attempt"/> + 1: doubling from <see cref="StepTimeout"/>, capped at
    /// <see cref="MaxBackoff"/>, with ±20 % jitter so that transfers stuck together are not retried in lockstep.
    /// </summary>
    public TimeSpan Backoff(int attempt)
    {
        var doublings = Math.Clamp(attempt - 1, 0, 20);
        var delay = Math.Min(StepTimeout.TotalMilliseconds * Math.Pow(2, doublings), MaxBackoff.TotalMilliseconds);
        var jitter = 0.8 + Random.Shared.NextDouble() * 0.4;
        return TimeSpan.FromMilliseconds(delay * jitter);
    }
}
