using NUnit.Framework;

namespace Banking.Testing;

/// <summary>Polls a condition against the real servers instead of sleeping: fast when things work, patient when the machine is busy.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(60);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null, Func<Task<string>>? describe = null)
    {
        var limit = within ?? DefaultLimit;
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }

        if (await condition()) return;
        var state = describe is null ? "" : $" ({await describe()})";
        Assert.Fail($"{what} did not happen within {limit.TotalSeconds:0} s{state}");
    }

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? within = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, within);
}
