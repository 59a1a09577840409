namespace Banking.Gateway;

/// <summary>
/// The seed's times are ISO-8601 UTC to the second ("2025-01-07T10:30:00Z"). System.Text.Json writes a UTC
/// DateTime without fraction exactly that way, so times are cut to the second and marked UTC here.
/// </summary>
public static class Timestamps
{
    public static DateTime Utc(DateTime value)
    {
        var utc = value.Kind switch
        {
            DateTimeKind.Local => value.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
            _ => value,
        };
        return new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
    }

    public static DateTime? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
}

/// <summary>Amounts leave the gateway as JSON numbers with exactly two decimals (1000 → 1000.00).</summary>
public static class Money
{
    // Adding 0.00m gives the sum a scale of at least 2; Round caps it at 2. Together: exactly two decimals.
    public static decimal Of(decimal value) => decimal.Round(value, 2, MidpointRounding.ToEven) + 0.00m;

    public static decimal? Of(decimal? value) => value is { } v ? Of(v) : null;
}
