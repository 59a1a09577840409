using Microsoft.Extensions.Options;

namespace Banking.Orchestrator.Reconciliation;

/// <summary>The money of one currency at one check: where it is, what it should add up to, and the difference.</summary>
/// <param name="Opening">The opening total: every account's opening balance (see <see cref="ContinuousReconciliation"/>).</param>
/// <param name="Db1">The sum of DB1's balances.</param>
/// <param name="Db2">The sum of DB2's balances.</param>
/// <param name="InFlight">Debited and neither credited nor reversed yet.</param>
public sealed record CurrencyTotals(string Currency, decimal Opening, decimal Db1, decimal Db2, decimal InFlight)
{
    /// <summary>Zero when no money was made or lost: DB1 + DB2 + in flight − opening total.</summary>
    public decimal Difference => Db1 + Db2 + InFlight - Opening;
}

public sealed record ContinuousCheck(DateTime CheckedAtUtc, IReadOnlyList<CurrencyTotals> Currencies)
{
    public bool IsClean => Currencies.All(c => c.Difference == 0m);
}

/// <summary>
/// The continuous check: the money in DB1 + DB2 + in flight equals the opening total plus external movements.
/// </summary>
/// <remarks>
/// <para><b>Opening total and external movements.</b> Money enters the bank only when an account is opened with a
/// balance (seeding the demo accounts, test fixtures); transfers only move it between the ledgers. So the opening total
/// is the sum of every account's opening balance: the balance before its first recorded operation
/// (<c>ledger_operation.balance_before</c> of its lowest id), or its balance when it has none. An account opened later
/// simply adds its opening balance; that is the only external movement there is today. A balance edited on an account
/// that never moved cannot be told from its opening and is not seen; on any account that moved it is.</para>
/// <para><b>In flight, from the ledgers rather than from the saga.</b> In flight = applied debits − applied reversals −
/// applied credits, from each ledger's <c>ledger_operation</c> rows, which commit in the same transaction as the balance
/// they change. Each ledger is then exact in its own snapshot (its balances = its openings − its debits + its reversals
/// and credits), so the sum is exact whatever moves between the two reads: no momentary difference exists to wait out.
/// The saga's states lag the ledgers (a debit is applied before the saga hears of it), so they could not be exact.</para>
/// <para><b>Order of the reads.</b> DB2 first, then DB1: a credit seen in DB2 was sent only after its debit committed,
/// so DB1's later snapshot holds that debit too, and in flight is never negative. The other order would give the same
/// difference but could show a credit "ahead" of its debit.</para>
/// </remarks>
public sealed class ContinuousReconciliation(IOptions<ReconciliationOptions> options)
{
    private const string Balances = """
        SELECT a.ACCT_CCY, COALESCE(SUM(b.TOTAL_AMOUNT), 0)
        FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY
        GROUP BY a.ACCT_CCY
        """;

    // The first operation that changed each account (ids are the booking order of an account's operations, taken
    // under its row lock), and the balance it found.
    private const string Openings = """
        SELECT a.ACCT_CCY, COALESCE(SUM(COALESCE(o.balance_before, b.TOTAL_AMOUNT)), 0)
        FROM rb_acct a
        JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY
        LEFT JOIN (SELECT account_no, MIN(id) AS id FROM ledger_operation WHERE outcome = 'APPLIED' AND seq_no IS NOT NULL GROUP BY account_no) f
          ON f.account_no = a.BASE_ACCT_NO
        LEFT JOIN ledger_operation o ON o.id = f.id
        GROUP BY a.ACCT_CCY
        """;

    private const string Movements = """
        SELECT currency,
               COALESCE(SUM(CASE WHEN operation = 'DEBIT' THEN amount ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN operation IN ('CREDIT', 'REVERSE_DEBIT') THEN amount ELSE 0 END), 0)
        FROM ledger_operation WHERE outcome = 'APPLIED' AND seq_no IS NOT NULL
        GROUP BY currency
        """;

    public async Task<ContinuousCheck> CheckAsync(CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var db2 = await ReadAsync(2, ct);
        var db1 = await ReadAsync(1, ct);

        var currencies = db1.Keys.Union(db2.Keys).Order(StringComparer.Ordinal);
        var totals = currencies.Select(currency =>
        {
            var one = db1.GetValueOrDefault(currency);
            var two = db2.GetValueOrDefault(currency);
            return new CurrencyTotals(currency, one.Opening + two.Opening, one.Balance, two.Balance,
                one.Out + two.Out - one.In - two.In);
        }).ToList();
        return new ContinuousCheck(now, totals);
    }

    private readonly record struct LedgerTotals(decimal Balance, decimal Opening, decimal Out, decimal In);

    private async Task<Dictionary<string, LedgerTotals>> ReadAsync(int database, CancellationToken ct)
    {
        await using var snapshot = await LedgerSnapshot.OpenAsync(options.Value, database, ct);
        var balances = await snapshot.ReadAsync(Balances, null, r => (Currency: r.GetString(0), Amount: r.GetDecimal(1)), ct);
        var openings = await snapshot.ReadAsync(Openings, null, r => (Currency: r.GetString(0), Amount: r.GetDecimal(1)), ct);
        var movements = await snapshot.ReadAsync(Movements, null, r => (Currency: r.GetString(0), Out: r.GetDecimal(1), In: r.GetDecimal(2)), ct);

        var totals = new Dictionary<string, LedgerTotals>(StringComparer.Ordinal);
        foreach (var (currency, amount) in balances) totals[currency] = totals.GetValueOrDefault(currency) with { Balance = amount };
        foreach (var (currency, amount) in openings) totals[currency] = totals.GetValueOrDefault(currency) with { Opening = amount };
        foreach (var (currency, @out, @in) in movements) totals[currency] = totals.GetValueOrDefault(currency) with { Out = @out, In = @in };
        return totals;
    }
}
