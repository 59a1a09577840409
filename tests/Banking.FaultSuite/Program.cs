using Banking.FaultSuite;

// dotnet run --project tests/Banking.FaultSuite -c Release -- [--profile short|long] [--seed N] [--duration S] [--clients N] [--accounts N]
FaultSuiteOptions options;
try
{
    options = FaultSuiteOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

void Log(string line) => Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");
var report = await new FaultSuiteRun(options, Log).RunAsync();
await FaultSuiteRun.WriteReportAsync(report, options.ReportDirectory, Log);
return report.Passed ? 0 : 1;
