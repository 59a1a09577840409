using Banking.Contracts;
using Banking.Gateway.Errors;
using Banking.ServiceDefaults;
using MassTransit;

namespace Banking.Gateway.Transfers;

/// <summary>
/// Request/response on one service's query queue with a hard deadline (<see cref="GatewayOptions.QueryTimeoutMs"/>):
/// a dependency that does not answer makes the request a 503, never a hang. <paramref name="who"/> names the
/// dependency in that 503's message.
/// </summary>
public sealed class GatewayQuery<TRequest>(IBus bus, string queue, string who, GatewayOptions options)
    where TRequest : class
{
    private readonly IRequestClient<TRequest> client =
        bus.CreateRequestClient<TRequest>(Endpoints.Queue(queue), RequestTimeout.After(ms: options.QueryTimeoutMs));

    public async Task<TAnswer> AskAsync<TAnswer>(TRequest request, CancellationToken cancellationToken)
        where TAnswer : class
    {
        // MassTransit's request timeout covers the wait for the answer; this also bounds a send stuck waiting for the broker.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMilliseconds(options.QueryTimeoutMs) + TimeSpan.FromMilliseconds(250));
        try
        {
            // Task.Run and WaitAsync: with the broker's connection gone, MassTransit can block inside the call and never
            // observe the token, and the request would hang instead of ending in 503.
            var response = await Task.Run(() => client.GetResponse<TAnswer>(request, deadline.Token), deadline.Token).WaitAsync(deadline.Token);
            return response.Message;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && (BankQueueRequests.IsUnanswered(e) || e is OperationCanceledException))
        {
            throw new ServiceUnavailableException($"{who} did not answer in time; try again shortly", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RequestException or MassTransitException)
        {
            throw new ServiceUnavailableException($"{who} is unavailable; try again shortly", e);
        }
    }
}
