using System.Globalization;

namespace Banking.Benchmarks;

/// <summary>What one run measures; every field can be set on the command line (<c>--name value</c>).</summary>
public sealed class Settings
{
    public bool Quick { get; set; }

    /// <summary>Open-loop arrival rates, transfers per second.</summary>
    public int[] Rates { get; set; } = [10, 25, 50];

    /// <summary>Closed-loop client counts: each client submits the next transfer when the last one is final.</summary>
    public int[] Clients { get; set; } = [1, 16];

    public double StepSeconds { get; set; } = 10;

    /// <summary>How long after a step its unfinished transfers may still complete before they count as timeouts.</summary>
    public double DrainSeconds { get; set; } = 8;

    public int Accounts { get; set; } = 10_000;

    /// <summary>Hot-spot contention: this share of transfers goes between the first <see cref="HotAccounts"/> accounts of each ledger.</summary>
    public double HotShare { get; set; } = 0.10;

    public int HotAccounts { get; set; } = 10;

    public string[] Contentions { get; set; } = ["uniform", "hotspot"];

    public string[] Systems { get; set; } = ["saga-rest", "saga-mq", "xa", "local"];

    public int Warmup { get; set; } = 100;

    /// <summary>
    /// The warm-up also lasts at least this long: the services compile their hot paths to optimised code over the
    /// first tens of seconds under load, and a step measured before that measures the JIT.
    /// </summary>
    public int WarmupSeconds { get; set; } = 30;

    /// <summary>Before each saga step: wait (at most this long) until the virtual host's queues and the outboxes are empty.</summary>
    public double SettleSeconds { get; set; } = 20;

    /// <summary>Open loop: above this many transfers in flight an arrival is dropped and counted as CLIENT_OVERLOAD.</summary>
    public int MaxInFlight { get; set; } = 5_000;

    public int SyncWaitMs { get; set; }

    public string Results { get; set; } = "";

    public bool KeepDatabases { get; set; }

    /// <summary>After the steps, an open loop this long at <see cref="SoakRate"/> (0: no soak).</summary>
    public double SoakSeconds { get; set; }

    /// <summary>The soak's arrival rate; 0: 80 % of what the soaked system sustained in the steps.</summary>
    public int SoakRate { get; set; }

    /// <summary>False for a soak alone: <c>--soak-seconds</c> without <c>--rates</c>, <c>--clients</c> or <c>--quick</c>.</summary>
    public bool RunSteps { get; set; } = true;

    /// <summary>Instances of every service (gateway included), competing for their queues; REST clients take turns over the gateways.</summary>
    public int Instances { get; set; } = 1;

    /// <summary>
    /// 0: the servers named by BANKING_MYSQL1 and the rest. Otherwise the benchmark starts servers of its own with
    /// servers.sh (own data folder and ports): a RabbitMQ cluster of this many nodes.
    /// </summary>
    public int RabbitMqNodes { get; set; }

    /// <summary>With servers of its own: each MariaDB server with a semi-synchronous replica (servers.sh --mysql-replicas).</summary>
    public bool MySqlReplicas { get; set; }

    /// <summary>The benchmark starts the servers it measures (<see cref="RabbitMqNodes"/> or <see cref="MySqlReplicas"/> given).</summary>
    public bool OwnServers => RabbitMqNodes > 0 || MySqlReplicas;

    public static Settings Parse(string[] args)
    {
        var settings = new Settings();
        if (args.Contains("--quick"))
        {
            settings.Quick = true;
            // Under two minutes: one open-loop and one closed-loop step per system, uniform contention only.
            settings.Rates = [10];
            settings.Clients = [4];
            settings.StepSeconds = 3;
            settings.DrainSeconds = 4;
            settings.Warmup = 5;
            settings.WarmupSeconds = 0;
            settings.SettleSeconds = 5;
            settings.Contentions = ["uniform"];
        }

        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int[] Ints()
            {
                var list = Next();
                return list == "none" ? [] : [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
            }

            switch (args[i])
            {
                case "--quick": break;
                case "--rates": settings.Rates = Ints(); break;
                case "--clients": settings.Clients = Ints(); break;
                case "--step-seconds": settings.StepSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--drain-seconds": settings.DrainSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--accounts": settings.Accounts = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--hot-share": settings.HotShare = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--hot-accounts": settings.HotAccounts = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--contention": settings.Contentions = Next().Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--systems": settings.Systems = Next().Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "--settle-seconds": settings.SettleSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": settings.Warmup = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup-seconds": settings.WarmupSeconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--max-in-flight": settings.MaxInFlight = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--sync-wait-ms": settings.SyncWaitMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--results": settings.Results = Next(); break;
                case "--keep-databases": settings.KeepDatabases = true; break;
                case "--soak-seconds": settings.SoakSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--soak-rate": settings.SoakRate = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--instances": settings.Instances = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rabbitmq-nodes": settings.RabbitMqNodes = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--mysql-replicas": settings.MySqlReplicas = true; break;
                case "--help" or "-h":
                    Console.WriteLine("""
                        dotnet run -c Release --project tests/Banking.Benchmarks -- [--quick] [options]
                          --rates 10,25,50          open-loop arrival rates (transfers/s)
                          --clients 1,16            closed-loop client counts
                          --step-seconds 10         length of each step
                          --drain-seconds 8         how long a step's unfinished transfers may still finish
                          --settle-seconds 20       saga: wait before each step until queues and outboxes are empty
                          --contention uniform,hotspot
                          --systems saga-rest,saga-mq,xa,local
                          --accounts 10000 --hot-share 0.1 --hot-accounts 10 --warmup 100 --warmup-seconds 30
                          --sync-wait-ms 0          the gateway's Gateway:SyncWaitMs (0: POST answers 202 at once)
                          --results DIR             default: tests/Banking.Benchmarks/results/<timestamp>
                          --keep-databases          do not drop the bench_ databases and virtual host at the end
                          --soak-seconds 600        after the steps, an open loop this long (first system, first contention),
                                                    one row per 30 s; without --rates, --clients or --quick: the soak alone
                          --soak-rate 20            its rate (default: 80 % of what that system sustained in the steps)
                          --rates none, --clients none   no open-loop or no closed-loop steps
                          --instances 2             two of every service (gateway included)
                          --rabbitmq-nodes 3        servers of its own (servers.sh, own folder and ports): a RabbitMQ cluster
                          --mysql-replicas          servers of its own: each MariaDB server with a semi-synchronous replica
                        Without --rabbitmq-nodes or --mysql-replicas it needs BANKING_MYSQL1, BANKING_MYSQL2, BANKING_RABBITMQ,
                        BANKING_RABBITMQ_MANAGEMENT, BANKING_REDIS (source .local/servers.env).
                        """);
                    Environment.Exit(0);
                    break;
                default: throw new ArgumentException($"unknown option {args[i]} (see --help)");
            }
        }

        settings.RunSteps = settings.SoakSeconds <= 0 || args.Any(a => a is "--rates" or "--clients" or "--quick");
        if (settings.SoakSeconds > 0 && !settings.RunSteps && settings.SoakRate <= 0)
            throw new ArgumentException("a soak without steps needs --soak-rate (there is no peak to take 80 % of)");
        if (settings.Clients.Any(c => c < 1) || settings.Rates.Any(r => r < 1) || settings.SoakRate < 0)
            throw new ArgumentException("client counts and rates are positive");
        if (settings.Instances is < 1 or > 9 || settings.RabbitMqNodes is < 0 or > 9)
            throw new ArgumentException("--instances and --rabbitmq-nodes take 1 to 9");
        return settings;
    }
}
