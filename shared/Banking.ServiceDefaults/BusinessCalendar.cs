using System.ComponentModel.DataAnnotations;

namespace Banking.ServiceDefaults;

/// <summary>Configuration section <c>Bank</c>: facts about the bank every service agrees on.</summary>
public sealed class BankOptions
{
    public const string Section = "Bank";

    /// <summary>
    /// The IANA time zone of the bank's business day (daily limits, end-of-day reconciliation). Times are stored in
    /// UTC everywhere; only the business date is read in this zone.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string BusinessTimeZone { get; set; } = "Asia/Shanghai";
}

/// <summary>
/// The bank's business dates: which date a UTC instant belongs to, and the UTC span of a date. One place, so the daily
/// limits and the end-of-day reconciliation cut the day at the same instant.
/// </summary>
public sealed class BusinessCalendar
{
    public BusinessCalendar(string timeZoneId)
    {
        TimeZone = TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
    }

    public TimeZoneInfo TimeZone { get; }

    /// <summary>The business date of <paramref name="utc"/>.</summary>
    public DateOnly DateOf(DateTime utc) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), TimeZone));

    /// <summary>The first instant of <paramref name="date"/>, in UTC.</summary>
    public DateTime StartUtc(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A day that starts inside a spring-forward gap starts at the first instant that exists.
        while (TimeZone.IsInvalidTime(local)) local = local.AddMinutes(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, TimeZone);
    }

    /// <summary>The first instant after <paramref name="date"/>, in UTC: the date is [<see cref="StartUtc"/>, this).</summary>
    public DateTime EndUtc(DateOnly date) => StartUtc(date.AddDays(1));

    public static bool IsKnownTimeZone(string? timeZoneId) =>
        !string.IsNullOrWhiteSpace(timeZoneId) && TimeZoneInfo.TryFindSystemTimeZoneById(timeZoneId, out _);
}
