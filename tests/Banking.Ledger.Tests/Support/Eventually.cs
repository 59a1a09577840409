namespace Banking.Ledger.Tests.Support;

/// <summary>Polls a condition against the real servers instead of sleeping: fast when things work, patient when they are slow.</summary>
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
}
