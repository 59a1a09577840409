using System.Collections.Concurrent;
using Banking.Testing;
using StackExchange.Redis;

namespace Banking.FaultSuite;

/// <summary>Injects every kind of fault on a schedule drawn from the seed, so a run can be repeated.</summary>
public sealed class FaultInjector(FaultPlatform platform, Workload workload, FaultSuiteOptions options, Action<string> log)
{
    public static readonly string[] SingleNodeKinds =
    [
        "kill-9 DebitService", "kill-9 CreditService", "kill-9 Orchestrator", "kill-9 Gateway",
        "restart rabbitmq", "restart mysql1", "restart mysql2",
        "flush redis", "restart redis",
        "duplicate delivery", "pause process",
    ];

    /// <summary>On a cluster of three or more: the node leading the busiest quorum queue dies; a node stops answering.</summary>
    public static readonly string[] ClusterKinds = ["kill-9 rabbitmq queue leader", "pause rabbitmq node"];

    /// <summary>With replicated MariaDB servers: a primary dies and its replica is promoted.</summary>
    public static readonly string[] ReplicaKinds = ["kill-9 mysql primary, promote its replica"];

    /// <summary>The kinds a run with <paramref name="options"/> injects, each at least once.</summary>
    public static IReadOnlyList<string> KindsFor(FaultSuiteOptions options) =>
        [.. SingleNodeKinds, .. options.RabbitMqNodes >= 3 ? ClusterKinds : [], .. options.MySqlReplicas ? ReplicaKinds : []];

    private readonly IReadOnlyList<string> kinds = KindsFor(options);

    public ConcurrentDictionary<string, int> Injected { get; } = new();

    /// <summary>
    /// Injects the schedule. Every kind is injected once even when the faults themselves outlast the planned
    /// duration (a RabbitMQ restart takes its time); the long profile then repeats until <paramref name="stop"/>.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var random = new Random(options.Seed);
        var schedule = kinds.OrderBy(_ => random.Next()).ToList();
        // Leave a calm start so that work is in flight when each fault lands.
        var gap = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(3).Ticks, (options.Duration / (schedule.Count * options.RoundsPlanned + 1)).Ticks));
        for (var round = 0; round == 0 || (options.RepeatFaults && !stop.IsCancellationRequested); round++)
        {
            foreach (var kind in schedule)
            {
                if (round > 0 && stop.IsCancellationRequested) return;
                await Task.Delay(gap, CancellationToken.None);
                log($"fault: {kind}");
                await InjectAsync(kind, random);
                Injected.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }

            schedule = kinds.OrderBy(_ => random.Next()).ToList();
        }
    }

    private async Task InjectAsync(string kind, Random random)
    {
        switch (kind)
        {
            // Before the services' kills, whose prefix it shares.
            case "kill-9 rabbitmq queue leader":
                await KillQueueLeaderAsync(random);
                break;
            case "kill-9 mysql primary, promote its replica":
                await FailOverAsync(random);
                break;
            case var k when k.StartsWith("kill-9 ", StringComparison.Ordinal):
                // One of the service's instances, the others carrying on meanwhile.
                var instances = platform.InstancesOf(k["kill-9 ".Length..]);
                var victim = random.Next(instances.Count);
                var service = instances[victim];
                if (instances.Count > 1) log($"  instance {victim + 1} of {instances.Count}");
                await service.KillAsync();
                await Task.Delay(TimeSpan.FromMilliseconds(500 + random.Next(2000)));
                await StartAgainAsync(() => service.StartAsync(TimeSpan.FromSeconds(120)), k["kill-9 ".Length..]);
                break;
            case var k when k.StartsWith("restart ", StringComparison.Ordinal):
                var server = k["restart ".Length..];
                await platform.Servers.StopAsync(server);
                await Task.Delay(TimeSpan.FromMilliseconds(1000 + random.Next(2000)));
                await StartAgainAsync(() => platform.Servers.StartServerAsync(server), server);
                break;
            case "pause rabbitmq node":
                var node = 1 + random.Next(platform.Servers.RabbitMqNodes);
                if (platform.Servers.RabbitMqPid(node) is { } pausedPid)
                {
                    log($"  pausing RabbitMQ node {platform.Servers.RabbitMqNodeName(node)}");
                    Signal(pausedPid, "STOP");
                    await Task.Delay(TimeSpan.FromSeconds(4 + random.Next(4)));
                    Signal(pausedPid, "CONT");
                }

                break;
            case "flush redis":
                await using (var redis = await ConnectionMultiplexer.ConnectAsync($"{platform.Servers.Redis},allowAdmin=true"))
                {
                    await redis.GetServers()[0].FlushAllDatabasesAsync();
                }

                break;
            case "duplicate delivery":
                await RedeliverAsync(random);
                break;
            case "pause process":
                var paused = platform.Services[random.Next(platform.Services.Count)];
                log($"  pausing {paused.Name}");
                paused.Process.Pause();
                await Task.Delay(TimeSpan.FromSeconds(3 + random.Next(3)));
                paused.Process.Resume();
                break;
            default:
                throw new InvalidOperationException($"unknown fault {kind}");
        }
    }

    /// <summary>
    /// kill -9 of the node that leads <c>transfer-state</c> (the queue every transfer passes three times): its
    /// followers elect a new leader, the services on that node reconnect to another, and the node comes back later.
    /// </summary>
    private async Task KillQueueLeaderAsync(Random random)
    {
        var leader = await QueueLeaderAsync("transfer-state");
        var index = Enumerable.Range(1, platform.Servers.RabbitMqNodes).FirstOrDefault(i => platform.Servers.RabbitMqNodeName(i) == leader);
        if (index == 0 || platform.Servers.RabbitMqPid(index) is not { } pid)
        {
            log($"  no running leader found for transfer-state (management API said '{leader}'); killing node 1");
            index = 1;
            pid = platform.Servers.RabbitMqPid(1) ?? throw new InvalidOperationException("RabbitMQ node 1 has no pid file");
        }

        log($"  kill -9 RabbitMQ node {platform.Servers.RabbitMqNodeName(index)}, leader of transfer-state");
        Signal(pid, "KILL");
        await Task.Delay(TimeSpan.FromMilliseconds(2000 + random.Next(3000)));
        await StartAgainAsync(() => platform.Servers.StartServerAsync(PrivateServers.RabbitMqServer(index)), PrivateServers.RabbitMqServer(index));
    }

    /// <summary>
    /// kill -9 of one MariaDB server's primary under load, then servers.sh promote, as an operator would after the
    /// alert; the services' connection strings already name both members. The old primary is rebuilt as the new
    /// replica a little later, so the next failover of that server has a replica to promote.
    /// </summary>
    private async Task FailOverAsync(Random random)
    {
        var n = 1 + random.Next(2);
        var pid = await platform.Servers.MySqlPrimaryPidAsync(n) ?? throw new InvalidOperationException($"mysql{n}'s primary has no pid file");
        log($"  kill -9 the primary of mysql{n} ({Path.GetFileName(await platform.Servers.MySqlPrimaryDirectoryAsync(n))})");
        Signal(pid, "KILL");
        await Task.Delay(TimeSpan.FromMilliseconds(1000 + random.Next(2000)));
        await StartAgainAsync(() => platform.Servers.PromoteAsync(n), $"promote mysql{n}");
        log($"  mysql{n}'s replica promoted; its primary is now {Path.GetFileName(await platform.Servers.MySqlPrimaryDirectoryAsync(n))}");
        await Task.Delay(TimeSpan.FromSeconds(2 + random.Next(3)));
        await StartAgainAsync(() => platform.Servers.StartServerAsync($"mysql{n}-replica"), $"mysql{n}-replica");
    }

    private async Task<string?> QueueLeaderAsync(string queue)
    {
        using var http = new HttpClient { BaseAddress = new UriBuilder(platform.Servers.Management) { UserName = "", Password = "" }.Uri, Timeout = TimeSpan.FromSeconds(10) };
        var credentials = Uri.UnescapeDataString(platform.Servers.Management.UserInfo);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"api/queues/banking/{queue}"));
            return document.RootElement.TryGetProperty("leader", out var leader) ? leader.GetString() : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Healing is part of the schedule: a start that fails on a loaded machine is tried again.</summary>
    private async Task StartAgainAsync(Func<Task> start, string what)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await start();
                return;
            }
            catch (Exception e) when (attempt < 3 && e is InvalidOperationException or TimeoutException)
            {
                log($"  {what} did not start ({e.Message.Split('\n')[0]}); trying again");
            }
        }
    }

    /// <summary>
    /// Delivers captured commands again: the same message id (what a broker redelivery looks like) and a new one
    /// (what a publisher's retry looks like). Neither may move money a second time.
    /// </summary>
    private async Task RedeliverAsync(Random random)
    {
        var captured = workload.Attempts.Values.Where(a => a.Path == "RABBITMQ").ToList();
        foreach (var attempt in captured.OrderBy(_ => random.Next()).Take(20))
        {
            (Guid MessageId, string Body)[] published;
            lock (attempt.Published) published = [.. attempt.Published];
            foreach (var (messageId, body) in published)
            {
                await workload.PublishRawAsync(attempt, messageId, body);
                await workload.PublishRawAsync(attempt, Guid.NewGuid(), body);
            }
        }
    }
}
