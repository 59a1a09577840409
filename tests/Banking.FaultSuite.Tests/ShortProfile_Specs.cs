namespace Banking.FaultSuite.Tests;

/// <summary>
/// The fault suite's short profile, as CI runs it: the whole platform on private servers, clients moving money
/// while every kind of fault is injected, then every bank invariant checked. Repeat a run with
/// <c>FAULT_SUITE_SEED=&lt;seed&gt;</c> (the seed is printed) or alone with
/// <c>dotnet run --project tests/Banking.FaultSuite -c Release -- --seed &lt;seed&gt;</c>.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ShortProfile_Specs
{
    [Test]
    public async Task Under_every_kind_of_fault_no_money_is_created_or_lost_and_every_transfer_ends_in_a_known_state()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FAULT_SUITE_SEED"), out var s) ? s : Environment.TickCount & 0x7fffffff;
        var options = FaultSuiteOptions.Short(seed);
        void Log(string line) => TestContext.Progress.WriteLine($"[fault-suite {DateTime.UtcNow:HH:mm:ss}] {line}");

        var report = await new FaultSuiteRun(options, Log).RunAsync();
        await FaultSuiteRun.WriteReportAsync(report, options.ReportDirectory, Log);
        var stem = Path.Combine(options.ReportDirectory, $"fault-suite-{report.Profile}-{report.Seed}");
        TestContext.AddTestAttachment(stem + ".json");
        TestContext.AddTestAttachment(stem + ".md");

        Assert.Multiple(() =>
        {
            Assert.That(report.Violations.Select(v => $"{v.Invariant}: {v.Detail}"), Is.Empty, $"seed {seed}");
            Assert.That(report.FaultsInjected.Keys, Is.EquivalentTo(FaultInjector.KindsFor(options)), "every kind of fault at least once");
            Assert.That(report.Acknowledged, Is.GreaterThan(100), "enough transfers to mean something");
            Assert.That(report.FinalByStatus.Keys, Is.SupersetOf(new[] { "SUCCESS", "ROLLBACK" }));
        });
    }
}
