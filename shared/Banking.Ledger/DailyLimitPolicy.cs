using Banking.Ledger.Data;
using Banking.ServiceDefaults;

namespace Banking.Ledger;

/// <summary>
/// The daily outgoing limits as the ledger applies them: which business date a debit counts on (the bank's time zone)
/// and the limit of a scope when the ledger holds no override for it.
/// </summary>
public sealed class DailyLimitPolicy(DailyLimitOptions options, BusinessCalendar calendar)
{
    public bool Enabled => options.Enabled;

    public DateOnly BusinessDateOf(DateTime utc) => calendar.DateOf(utc);

    public decimal DefaultLimit(string scope) => scope == DailyLimitScopes.Account ? options.AccountDefault : options.CustomerDefault;
}

/// <summary>A row of <c>daily_outgoing</c> by its key.</summary>
internal readonly record struct DailyOutgoingKey(string Scope, string ScopeKey, string Currency, DateOnly BusinessDate)
{
    /// <summary>The order every transaction locks counters in, so that two of them cannot wait for each other.</summary>
    public static readonly IComparer<DailyOutgoingKey> LockOrder = Comparer<DailyOutgoingKey>.Create((a, b) =>
    {
        var c = string.CompareOrdinal(a.Scope, b.Scope);
        if (c == 0) c = string.CompareOrdinal(a.ScopeKey, b.ScopeKey);
        if (c == 0) c = string.CompareOrdinal(a.Currency, b.Currency);
        return c != 0 ? c : a.BusinessDate.CompareTo(b.BusinessDate);
    });

    public static DailyOutgoingKey OfAccount(LockedAccount account, DateOnly date) => new(DailyLimitScopes.Account, account.AccountNo, account.Currency, date);

    public static DailyOutgoingKey OfCustomer(LockedAccount account, DateOnly date) => new(DailyLimitScopes.Customer, account.ClientNo, account.Currency, date);
}

/// <summary>A locked <c>daily_outgoing</c> row with the limit that applies to it; <see cref="Amount"/> follows the transaction's changes.</summary>
internal sealed class DailyCounter(DailyOutgoingKey key, decimal amount, decimal limit)
{
    public DailyOutgoingKey Key { get; } = key;
    public decimal Amount { get; set; } = amount;
    public decimal Limit { get; } = limit;
    public decimal Remaining => Math.Max(0m, Limit - Amount);

    /// <summary>A debit adds, its reversal gives back; never below zero (a debit booked while limits were off was never counted).</summary>
    public void Add(decimal delta) => Amount = Math.Max(0m, Amount + delta);
}

/// <summary>What an account may still send out on a business date: its own counter and its customer's.</summary>
internal sealed record DailyAllowance(DailyCounter Account, DailyCounter Customer)
{
    public decimal Remaining => Math.Min(Account.Remaining, Customer.Remaining);

    /// <summary>The counter <paramref name="amount"/> does not fit in, the account's first; none when it fits both.</summary>
    public DailyCounter? ExceededBy(decimal amount) =>
        amount > Account.Remaining ? Account : amount > Customer.Remaining ? Customer : null;
}
