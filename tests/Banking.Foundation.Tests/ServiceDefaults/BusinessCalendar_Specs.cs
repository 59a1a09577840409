using Banking.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Banking.Foundation.Tests.ServiceDefaults;

public class BusinessCalendar_Specs
{
    private static readonly BusinessCalendar Shanghai = new("Asia/Shanghai");

    [Test]
    public void The_business_day_in_Shanghai_starts_at_16_00_UTC_the_day_before()
    {
        Assert.That(Shanghai.DateOf(new DateTime(2026, 12, 1, 15, 59, 59, DateTimeKind.Utc)), Is.EqualTo(new DateOnly(2026, 12, 1)));
        Assert.That(Shanghai.DateOf(new DateTime(2026, 12, 1, 16, 0, 0, DateTimeKind.Utc)), Is.EqualTo(new DateOnly(2026, 12, 2)));
        Assert.That(Shanghai.StartUtc(new DateOnly(2026, 12, 2)), Is.EqualTo(new DateTime(2026, 12, 1, 16, 0, 0, DateTimeKind.Utc)));
        Assert.That(Shanghai.EndUtc(new DateOnly(2026, 12, 2)), Is.EqualTo(new DateTime(2026, 12, 2, 16, 0, 0, DateTimeKind.Utc)));
    }

    [Test]
    public void A_day_with_a_clock_change_is_as_long_as_the_clocks_say()
    {
        var berlin = new BusinessCalendar("Europe/Berlin");
        var springForward = new DateOnly(2026, 3, 29);
        Assert.That(berlin.EndUtc(springForward) - berlin.StartUtc(springForward), Is.EqualTo(TimeSpan.FromHours(23)));
        Assert.That(berlin.DateOf(berlin.EndUtc(springForward).AddTicks(-1)), Is.EqualTo(springForward));
    }

    [Test]
    public void An_unknown_time_zone_stops_the_service_at_start()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Bank:BusinessTimeZone"] = "Mars/Olympus_Mons" }).Build());
        services.AddBusinessCalendar();
        using var provider = services.BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<BankOptions>>().Value);
    }
}
