using System.Diagnostics;
using System.Text.Json;
using Banking.Benchmarks;
using Banking.Testing;

// Issue 7: the saga (through REST and straight into RabbitMQ) against the seed's synchronous design (XA) and two
// local transactions, on the same MariaDB servers and accounts. See README "Benchmark" and docs/BENCHMARKS.md.
var settings = Settings.Parse(args);
PrivateServers? ownServers = null;
if (settings.OwnServers)
{
    // A layout the shared servers are not (a cluster, replicas): servers.sh starts one on free ports and the rest of
    // the run reads its endpoints as it would read .local/servers.env.
    Console.WriteLine($"Starting servers of its own: {Math.Max(1, settings.RabbitMqNodes)} RabbitMQ node(s), MariaDB {(settings.MySqlReplicas ? "with" : "without")} replicas...");
    ownServers = await PrivateServers.StartAsync("bench-servers", rabbitMqNodes: Math.Max(1, settings.RabbitMqNodes), mySqlReplicas: settings.MySqlReplicas);
    foreach (var name in new[] { "BANKING_MYSQL1", "BANKING_MYSQL2", "BANKING_RABBITMQ", "BANKING_RABBITMQ_MANAGEMENT", "BANKING_REDIS", "BANKING_RABBITMQ_CLUSTER_NODES" })
        Environment.SetEnvironmentVariable(name, ownServers.Endpoint(name));
}

if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("BANKING_MYSQL1")))
{
    // Without them RealServers would start servers of its own (deploy/local/servers.sh): never from a benchmark.
    Console.Error.WriteLine("Set BANKING_MYSQL1, BANKING_MYSQL2, BANKING_RABBITMQ, BANKING_RABBITMQ_MANAGEMENT and BANKING_REDIS first (e.g. source .local/servers.env).");
    return 2;
}

var started = DateTime.UtcNow;
var clock = Stopwatch.StartNew();
RealServers.RunIdPrefix = "bench_";
var servers = await RealServers.GetAsync();
var resultsDir = settings.Results.Length > 0
    ? Path.GetFullPath(settings.Results)
    : Path.Combine(RealServers.RepositoryRoot, "tests", "Banking.Benchmarks", "results", $"{started:yyyyMMdd-HHmmss}{(settings.Quick ? "-quick" : "")}");
Directory.CreateDirectory(resultsDir);
Console.WriteLine($"Benchmark run {servers.RunId}{(settings.Quick ? " (quick)" : "")}; results in {resultsDir}");
Console.WriteLine("Run it on a quiet machine: anything else using these servers or cores during the run is in every figure.");

var loadAtStart = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
var machine = await Machine.DescribeAsync(servers.MySql1, servers.MySql2);
Console.WriteLine($"Machine: {machine.Cores} cores, {machine.CpuModel}, {machine.RamGiB} GiB; MariaDB {machine.MariaDb1}");

TransferPlatform? platform = null;
var gateways = new List<ServiceProcess>();
OutcomeListener? outcomes = null;
Probes? probes = null;
var systems = new List<ISystemUnderTest>();
var steps = new List<Step>();
try
{
    Console.WriteLine("Starting DebitService, CreditService and Orchestrator on fresh databases and a fresh virtual host...");
    // The orchestrator's production timings (appsettings.json), not the tests' short ones.
    platform = await TransferPlatform.StartAsync("p", new Dictionary<string, string>
    {
        ["Transfers__StepTimeout"] = "00:00:15",
        ["Transfers__MaxBackoff"] = "00:05:00",
        ["Transfers__SweepInterval"] = "00:00:01",
        ["Serilog__MinimumLevel__Default"] = "Warning",
    });

    var instances = new Dictionary<string, ServiceProcess>(StringComparer.Ordinal)
    {
        ["orchestrator"] = platform.Orchestrator,
        ["debit"] = platform.Debit,
        ["credit"] = platform.Credit,
    };
    for (var i = 2; i <= settings.Instances; i++)
    {
        Console.WriteLine($"Starting instance {i} of DebitService, CreditService and Orchestrator...");
        instances[$"orchestrator#{i}"] = await platform.StartAnotherOrchestratorAsync();
        instances[$"debit#{i}"] = await platform.StartAnotherLedgerAsync(debit: true);
        instances[$"credit#{i}"] = await platform.StartAnotherLedgerAsync(debit: false);
    }

    var workload = Workload.Create(settings, servers.RunId.Replace("_", "", StringComparison.Ordinal));
    Console.WriteLine($"Seeding {settings.Accounts} accounts in each ledger...");
    await Task.WhenAll(Workload.SeedAsync(platform.Db1, workload.Sources), Workload.SeedAsync(platform.Db2, workload.Destinations));

    Console.WriteLine(settings.Instances == 1 ? "Starting the gateway..." : $"Starting {settings.Instances} gateways...");
    var gatewayEnvironment = new Dictionary<string, string>
    {
        ["ConnectionStrings__RabbitMq"] = platform.Broker.ToString(),
        ["ConnectionStrings__Redis"] = servers.Redis,
        ["Gateway__RedisKeyPrefix"] = servers.RunId + ":",
        ["Gateway__SyncWaitMs"] = settings.SyncWaitMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimit__PermitLimit"] = "1000000",
        ["RateLimit__Window"] = "00:00:01",
        ["Serilog__MinimumLevel__Default"] = "Warning",
    };
    if (Environment.GetEnvironmentVariable("BANKING_RABBITMQ_CLUSTER_NODES") is { Length: > 0 } clusterNodes) gatewayEnvironment["Bus__ClusterNodes"] = clusterNodes;
    for (var i = 1; i <= settings.Instances; i++)
    {
        var one = new ServiceProcess("Banking.Gateway", gatewayEnvironment);
        gateways.Add(one);
        await one.StartAsync();
        instances[i == 1 ? "gateway" : $"gateway#{i}"] = one;
    }

    outcomes = await OutcomeListener.StartAsync(platform.Broker);

    foreach (var name in settings.Systems)
    {
        systems.Add(name switch
        {
            "saga-rest" => new SagaThroughRest(gateways, outcomes, platform, settings.SyncWaitMs),
            "saga-mq" => await SagaThroughRabbitMq.StartAsync(outcomes, platform),
            "xa" => new DirectLedgerBaseline(platform.Db1, platform.Db2, xa: true),
            "local" => new DirectLedgerBaseline(platform.Db1, platform.Db2, xa: false),
            _ => throw new ArgumentException($"unknown system {name}"),
        });
    }

    probes = new Probes(servers, platform, instances, Math.Max(1, settings.RabbitMqNodes));
    var runner = new Runner(settings, workload, probes);
    var found = await probes.ScrapeAsync();
    Console.WriteLine("Service metrics: " + string.Join("; ", probes.Services.Keys.Select(name => found.TryGetValue(name, out var scrape)
        ? $"{name} allocations {(scrape.AllocatedBytes is null ? "missing" : "found")}, work items {(scrape.WorkItems is null ? "missing" : "found")}, {ServiceScrape.GroupSizeMetric} {(scrape.GroupSizes.Count == 0 ? "missing" : string.Join(",", scrape.GroupSizes.Keys))}"
        : $"{name} /metrics did not answer")));
    foreach (var contention in settings.RunSteps ? settings.Contentions : [])
    {
        foreach (var system in systems)
        {
            Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {system.Name}, {contention}: warm-up, then {settings.Clients.Length} closed-loop and {settings.Rates.Length} open-loop steps of {settings.StepSeconds} s");
            await runner.WarmUpAsync(system, contention);
            // Closed loop first (it never overloads), then the arrival rates from low to high.
            foreach (var clients in settings.Clients) steps.Add(await runner.ClosedLoopAsync(system, contention, clients));
            foreach (var rate in settings.Rates.Order()) steps.Add(await runner.OpenLoopAsync(system, contention, rate));
        }
    }

    var reports = steps.Select(s => s.Report()).ToList();
    var headlines = new List<Headline>();
    var ratios = new Dictionary<string, double>();
    foreach (var contention in settings.Contentions)
    {
        foreach (var system in systems)
        {
            if (Reports.Sustained(reports, system.Name, contention) is { } headline) headlines.Add(headline);
        }

        var saga = headlines.FirstOrDefault(h => h.Contention == contention && h.System == "saga-rest");
        foreach (var baseline in new[] { "xa", "local" })
        {
            var other = headlines.FirstOrDefault(h => h.Contention == contention && h.System == baseline);
            if (saga is not null && other is { SustainedPerSecond: > 0 })
                ratios[$"{contention}: saga-rest / {(baseline == "xa" ? "Baseline A (XA)" : "Baseline B (local)")}"] = Math.Round(saga.SustainedPerSecond / other.SustainedPerSecond, 3);
        }
    }

    SoakReport? soak = null;
    if (settings.SoakSeconds > 0 && systems.Count > 0)
    {
        var system = systems[0];
        var contention = settings.Contentions[0];
        var rate = settings.SoakRate > 0
            ? settings.SoakRate
            : Reports.Sustained(reports, system.Name, contention) is { SustainedPerSecond: > 0 } peak ? Math.Max(1, (int)Math.Round(0.8 * peak.SustainedPerSecond)) : 0;
        if (rate == 0)
        {
            Console.WriteLine($"No soak: {system.Name} sustained nothing in the steps to take 80 % of (give --soak-rate).");
        }
        else
        {
            Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] soak: {system.Name}, {contention}, open loop at {rate}/s for {settings.SoakSeconds} s{(settings.SoakRate > 0 ? "" : " (80 % of the sustained peak)")}");
            if (!settings.RunSteps) await runner.WarmUpAsync(system, contention);
            soak = await runner.SoakAsync(system, contention, rate, settings.SoakSeconds);
        }
    }

    var stages = settings.RunSteps && settings.Clients.Contains(1) ? await Stages.MeasureAsync(platform.Core, runner.Sequential) : [];
    var run = new RunReport(started, Math.Round(clock.Elapsed.TotalSeconds, 1), "dotnet run -c Release --project tests/Banking.Benchmarks -- " + string.Join(' ', args),
        machine, settings, systems.ToDictionary(s => s.Name, s => s.Description), reports, headlines, ratios, stages, soak,
        [
            "Server counters and server CPU are global: anything else using the MariaDB, RabbitMQ and Redis servers during the run is included (see the load averages below); compare figures within one run.",
            "The load generator, the gateway, the three services and both MariaDB servers share the same machine.",
            $"Layout: {settings.Instances} instance(s) of every service; " + (settings.OwnServers
                ? $"servers of its own: {Math.Max(1, settings.RabbitMqNodes)} RabbitMQ node(s), MariaDB {(settings.MySqlReplicas ? "with a semi-synchronous replica (AFTER_SYNC) per server" : "without replicas")}."
                : "the servers of .local/servers.env."),
            $"Databases and virtual host of this run: {servers.RunId}_*.",
            $"/proc/loadavg at the start: {loadAtStart}; at the end: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?")} (on {Environment.ProcessorCount} cores).",
        ]);

    await File.WriteAllTextAsync(Path.Combine(resultsDir, "results.json"), JsonSerializer.Serialize(run, Reports.Json));
    var markdown = Reports.Markdown(run);
    await File.WriteAllTextAsync(Path.Combine(resultsDir, "results.md"), markdown);
    foreach (var contention in settings.Contentions) Reports.Chart(run, contention, Path.Combine(resultsDir, $"latency-{contention}.png"));
    Console.WriteLine();
    Console.WriteLine(markdown);
    Console.WriteLine($"Written: {resultsDir}/results.md, results.json, latency-*.png ({clock.Elapsed:mm\\:ss})");
    return 0;
}
finally
{
    probes?.Dispose();
    foreach (var system in systems) await system.DisposeAsync();
    if (outcomes is not null) await outcomes.DisposeAsync();
    foreach (var gateway in gateways) await gateway.DisposeAsync();
    if (platform is not null) await platform.DisposeAsync();
    if (!settings.KeepDatabases) await servers.CleanUpAsync();
    if (ownServers is not null) await ownServers.DisposeAsync();
}
