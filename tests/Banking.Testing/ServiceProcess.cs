using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Banking.ServiceDefaults;

namespace Banking.Testing;

/// <summary>
/// One of the platform's services run as a real process (the built DLL, as production runs it), so that
/// tests can kill it, pause it and start it again. Configuration comes in as environment variables
/// (<c>ConnectionStrings__Ledger</c>, ...), exactly as an operator would set them. With a Kestrel certificate in that
/// environment (platform.sh --tls) it serves HTTPS, and <see cref="CreateClient"/> trusts the CA it names.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string project;
    private readonly Dictionary<string, string> environment;
    private readonly string logPath;
    private Process? process;
    private StreamWriter? log;

    // Starts and stops come from the fault injector and the supervisor at once; one at a time per process.
    private readonly SemaphoreSlim gate = new(1, 1);
    private bool stopRequested;

    public ServiceProcess(string project, IDictionary<string, string> environment, int? port = null)
    {
        this.project = project;
        this.environment = new Dictionary<string, string>(environment);
        Port = port ?? FreePort();
        var https = environment.ContainsKey("Kestrel__Certificates__Default__Path");
        BaseAddress = new Uri($"{(https ? "https" : "http")}://127.0.0.1:{Port}");
        certificates = new ServerCertificates(ServerCertificates.Load(environment.TryGetValue("Tls__CaCertificate", out var ca) ? ca : null));
        var logs = Path.Combine(RealServers.RepositoryRoot, "TestResults", "service-logs");
        Directory.CreateDirectory(logs);
        logPath = Path.Combine(logs, $"{project}-{Port}-{DateTime.UtcNow:HHmmssfff}.log");
    }

    private readonly ServerCertificates certificates;

    public int Port { get; }
    public Uri BaseAddress { get; }
    public string LogPath => logPath;
    public int? ProcessId => process is { HasExited: false } ? process.Id : null;

    /// <summary>The exit code when the process ended without being killed or stopped by the test; otherwise null.</summary>
    public int? ExitedOnItsOwn
    {
        get
        {
            var current = process;
            return current is { HasExited: true } && !Volatile.Read(ref stopRequested) ? current.ExitCode : null;
        }
    }

    /// <summary>The exit status the parent saw once the process ended, however it ended; null while it runs.</summary>
    public int? ExitCode => process is { HasExited: true } ended ? ended.ExitCode : null;

    /// <summary>The service's DLL built in the same configuration as the running tests (Debug or Release).</summary>
    public string DllPath
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(RealServers.RepositoryRoot, "services", project, "bin", configuration, "net10.0", project + ".dll");
        }
    }

    /// <summary>A client for <see cref="BaseAddress"/> that trusts what the service itself trusts (Tls:CaCertificate).</summary>
    public HttpClient CreateClient(TimeSpan? timeout = null) =>
        new(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = certificates.Validate } })
        {
            BaseAddress = BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(100),
        };

    /// <summary>
    /// Runs one of the service's commands (<c>migrate</c>, <c>reconcile ...</c>) with the service's environment and
    /// waits for it to end: its exit code, standard output and standard error.
    /// </summary>
    public async Task<(int ExitCode, string Output, string Error)> RunCommandAsync(IEnumerable<string> arguments, TimeSpan? limit = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(DllPath)!,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        foreach (var (key, value) in environment) start.Environment[key] = value;

        using var command = Process.Start(start) ?? throw new InvalidOperationException($"could not start {project}");
        var output = command.StandardOutput.ReadToEndAsync();
        var error = command.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(120));
        try
        {
            await command.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            command.Kill(entireProcessTree: true);
            throw new TimeoutException($"{project} {string.Join(' ', start.ArgumentList.Skip(1))} did not end within {limit ?? TimeSpan.FromSeconds(120)}");
        }

        return (command.ExitCode, await output, await error);
    }

    public Task StartAsync(TimeSpan? readyWithin = null) => ExclusivelyAsync(() => StartCoreAsync(readyWithin));

    private async Task StartCoreAsync(TimeSpan? readyWithin)
    {
        if (process is { HasExited: false }) throw new InvalidOperationException($"{project} is already running");
        if (!File.Exists(DllPath)) throw new FileNotFoundException($"{project} is not built", DllPath);

        var start = new ProcessStartInfo("dotnet", $"\"{DllPath}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(DllPath)!,
        };
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        foreach (var (key, value) in environment) start.Environment[key] = value;

        process?.Dispose();
        Volatile.Write(ref stopRequested, false);
        log ??= new StreamWriter(logPath, append: true) { AutoFlush = true };
        await log.WriteLineAsync($"---- start {DateTime.UtcNow:O}");
        process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {project}");
        var writer = log;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await WaitUntilReadyAsync(readyWithin ?? TimeSpan.FromSeconds(60));
    }

    public async Task WaitUntilReadyAsync(TimeSpan limit)
    {
        using var http = CreateClient(TimeSpan.FromSeconds(5));
        var deadline = DateTime.UtcNow + limit;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"{project} exited with code {process.ExitCode} before it was ready; see {logPath}");
            }

            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{project} was not ready within {limit} ({last}); see {logPath}");
    }

    /// <summary>kill -9: the process gets no chance to finish anything.</summary>
    public Task KillAsync() => ExclusivelyAsync(KillCoreAsync);

    private async Task KillCoreAsync()
    {
        Volatile.Write(ref stopRequested, true);
        if (process is not { HasExited: false }) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then wait for a graceful stop.</summary>
    public Task StopAsync(TimeSpan? within = null) => ExclusivelyAsync(() => StopCoreAsync(within));

    private async Task StopCoreAsync(TimeSpan? within)
    {
        Volatile.Write(ref stopRequested, true);
        if (process is not { HasExited: false }) return;
        Signal(process.Id, 15);
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillCoreAsync();
        }
    }

    private async Task ExclusivelyAsync(Func<Task> action)
    {
        await gate.WaitAsync();
        try
        {
            await action();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>SIGSTOP: the process keeps its connections but does nothing, as a stalled machine would.</summary>
    public void Pause() => Signal(process?.Id ?? throw new InvalidOperationException("not running"), 19);

    /// <summary>SIGCONT.</summary>
    public void Resume() => Signal(process?.Id ?? throw new InvalidOperationException("not running"), 18);

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            Resume();
            await StopAsync(TimeSpan.FromSeconds(10));
        }

        process?.Dispose();
        if (log is not null) await log.DisposeAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    private static void Signal(int pid, int signal)
    {
        if (SysKill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastWin32Error()}");
    }
}
