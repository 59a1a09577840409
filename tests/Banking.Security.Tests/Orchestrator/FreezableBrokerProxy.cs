using System.Net;
using System.Net.Sockets;

namespace Banking.Security.Tests.Orchestrator;

/// <summary>
/// A TCP relay between a service and RabbitMQ that can stop passing the service's bytes on while keeping every
/// connection open: to the service the broker has stopped answering (no confirm, no close), as a wedged broker
/// or a half-dead network path looks. The broker's own frames (deliveries) still reach the service.
/// </summary>
public sealed class FreezableBrokerProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string brokerHost;
    private readonly int brokerPort;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<TcpClient> clients = [];
    private volatile TaskCompletionSource thawed = NewGate(open: true);
    private readonly Task accepting;

    public FreezableBrokerProxy(Uri broker)
    {
        brokerHost = broker.Host;
        brokerPort = broker.Port > 0 ? broker.Port : 5672;
        listener.Start();
        accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>The broker address with the proxy in its place (same credentials and virtual host).</summary>
    public Uri Through(Uri broker) => new UriBuilder(broker) { Host = "127.0.0.1", Port = Port }.Uri;

    /// <summary>From now on the service's frames are held back; nothing is closed.</summary>
    public void FreezeServiceToBroker() => thawed = NewGate(open: false);

    private static TaskCompletionSource NewGate(bool open)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open) gate.SetResult();
        return gate;
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient service;
            try { service = await listener.AcceptTcpClientAsync(stopping.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            var broker = new TcpClient();
            try { await broker.ConnectAsync(brokerHost, brokerPort, stopping.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException) { service.Dispose(); broker.Dispose(); continue; }
            lock (clients) clients.AddRange([service, broker]);
            _ = PumpAsync(service.GetStream(), broker.GetStream(), frozenWhenAsked: true);
            _ = PumpAsync(broker.GetStream(), service.GetStream(), frozenWhenAsked: false);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool frozenWhenAsked)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, stopping.Token);
                if (read == 0) break;
                if (frozenWhenAsked) await thawed.Task.WaitAsync(stopping.Token);
                await to.WriteAsync(buffer.AsMemory(0, read), stopping.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        // One side ended: end the other, as a real path would.
        try { to.Socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        lock (clients) foreach (var client in clients) client.Dispose();
        await accepting;
        stopping.Dispose();
    }
}
