using MassTransit;

namespace Banking.Gateway.Transfers;

/// <summary>
/// Whether this instance's outcome queue is bound and consuming. A transfer is published only while it is,
/// because an outcome published before the queue exists would be lost (and every answer would be 202).
/// </summary>
public sealed class OutcomeEndpointStatus : IReceiveEndpointObserver
{
    private volatile TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<bool> WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await ready.Task.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public Task Ready(ReceiveEndpointReady endpoint)
    {
        ready.TrySetResult();
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping endpoint) => NotReady();
    public Task Completed(ReceiveEndpointCompleted endpoint) => NotReady();
    public Task Faulted(ReceiveEndpointFaulted endpoint) => NotReady();

    private Task NotReady()
    {
        if (ready.Task.IsCompleted) ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return Task.CompletedTask;
    }
}
