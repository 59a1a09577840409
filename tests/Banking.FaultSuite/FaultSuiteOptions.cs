using System.Globalization;

namespace Banking.FaultSuite;

/// <summary>How long, how hard and with which seed the suite runs; a printed seed repeats a run's schedule.</summary>
public sealed record FaultSuiteOptions
{
    public string Profile { get; init; } = "short";
    public int Seed { get; init; } = Environment.TickCount & 0x7fffffff;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);
    public int Clients { get; init; } = 8;
    public int AccountsPerLedger { get; init; } = 20;
    public decimal OpeningBalance { get; init; } = 5_000.00m;

    /// <summary>Share of transfers published as raw JSON to RabbitMQ instead of sent through the REST API.</summary>
    public double RawShare { get; init; } = 0.25;

    /// <summary>
    /// RabbitMQ nodes in the suite's cluster. From three on, the faults include killing the node that leads the
    /// busiest quorum queue and pausing a node while the others carry on.
    /// </summary>
    public int RabbitMqNodes { get; init; } = 3;

    /// <summary>
    /// Each MariaDB server with a semi-synchronous replica. The faults then include kill -9 of a primary followed by
    /// the promotion of its replica (and the old primary rebuilt as the new replica).
    /// </summary>
    public bool MySqlReplicas { get; init; } = true;

    /// <summary>Instances of every service, competing for its queues; a service's kill takes one of them.</summary>
    public int Instances { get; init; } = 2;

    /// <summary>Every fault kind at least once; the long profile repeats the list until the time is up.</summary>
    public bool RepeatFaults { get; init; }

    /// <summary>How many times each kind is planned within <see cref="Duration"/>: it sets the gap between faults.</summary>
    public int RoundsPlanned { get; init; } = 1;

    /// <summary>After healing, every acknowledged transfer must be final within this bound.</summary>
    public TimeSpan FinalWithin { get; init; } = TimeSpan.FromMinutes(3);

    public string ReportDirectory { get; init; } = Path.Combine(Banking.Testing.RealServers.RepositoryRoot, "TestResults", "fault-suite");

    /// <summary>
    /// Test seam: runs the checks on tampered data. Never set by the command line.
    /// </summary>
    public Func<FaultSuiteRun, Task>? BeforeChecks { get; init; }

    public static FaultSuiteOptions Short(int? seed = null) => new() { Seed = seed ?? Environment.TickCount & 0x7fffffff };

    public static FaultSuiteOptions Long(int? seed = null) => new()
    {
        Profile = "long",
        Seed = seed ?? Environment.TickCount & 0x7fffffff,
        Duration = TimeSpan.FromMinutes(30),
        Clients = 32,
        AccountsPerLedger = 200,
        OpeningBalance = 1_000_000.00m,
        RepeatFaults = true,
        // Every kind, the cluster's and the failover's included, three times in the half hour.
        RoundsPlanned = 3,
        FinalWithin = TimeSpan.FromMinutes(10),
    };

    /// <summary><c>--profile short|long --seed N --duration SECONDS --clients N --accounts N --rabbitmq-nodes N --instances N --mysql-replicas true|false</c>.</summary>
    public static FaultSuiteOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value pairs, got '{args[i]}'");
            values[args[i][2..]] = args[++i];
        }

        int? seed = values.TryGetValue("seed", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : null;
        var options = (values.GetValueOrDefault("profile") ?? "short") switch
        {
            "short" => Short(seed),
            "long" => Long(seed),
            var other => throw new ArgumentException($"unknown profile '{other}' (short or long)"),
        };
        if (values.TryGetValue("duration", out var d)) options = options with { Duration = TimeSpan.FromSeconds(int.Parse(d, CultureInfo.InvariantCulture)) };
        if (values.TryGetValue("clients", out var c)) options = options with { Clients = int.Parse(c, CultureInfo.InvariantCulture) };
        if (values.TryGetValue("accounts", out var a)) options = options with { AccountsPerLedger = int.Parse(a, CultureInfo.InvariantCulture) };
        if (values.TryGetValue("rabbitmq-nodes", out var n)) options = options with { RabbitMqNodes = int.Parse(n, CultureInfo.InvariantCulture) };
        if (values.TryGetValue("instances", out var count)) options = options with { Instances = int.Parse(count, CultureInfo.InvariantCulture) };
        if (values.TryGetValue("mysql-replicas", out var replicas)) options = options with { MySqlReplicas = bool.Parse(replicas) };
        foreach (var key in values.Keys.Except(["seed", "profile", "duration", "clients", "accounts", "rabbitmq-nodes", "instances", "mysql-replicas"]))
            throw new ArgumentException($"unknown option --{key}");
        return options;
    }
}
