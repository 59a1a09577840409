using Banking.Contracts;
using Banking.Contracts.Transfers;
using Banking.Gateway.Errors;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Transfers;

/// <summary>Asks the orchestrator (queue <c>transfer-status</c>) for a transfer's record.</summary>
public sealed class TransferStatusClient(IBus bus, IOptions<GatewayOptions> options)
{
    private readonly IRequestClient<GetTransferStatus> client =
        bus.CreateRequestClient<GetTransferStatus>(Endpoints.Queue(Endpoints.TransferStatus), RequestTimeout.After(ms: options.Value.QueryTimeoutMs));

    /// <summary>The record (Found may be false). Throws <see cref="ServiceUnavailableException"/> when the orchestrator does not answer in time.</summary>
    public async Task<TransferStatus> GetAsync(string transferId, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(options.Value.QueryTimeoutMs);
        var response = await Queries.AnswerWithin(timeout, cancellationToken, "The transfer service",
            token => client.GetResponse<TransferStatus>(new GetTransferStatus { TransferId = transferId }, token));
        return response.Message;
    }
}

/// <summary>Request/response with a hard deadline: a dependency that does not answer makes the request a 503, never a hang.</summary>
public static class Queries
{
    public static async Task<T> AnswerWithin<T>(TimeSpan timeout, CancellationToken cancellationToken, string who, Func<CancellationToken, Task<T>> ask)
    {
        // MassTransit's request timeout covers the wait for the answer; this also bounds a send stuck waiting for the broker.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout + TimeSpan.FromMilliseconds(250));
        try
        {
            // Task.Run and WaitAsync: with the broker's connection gone, MassTransit can block inside the call and never
            // observe the token, and the request would hang instead of ending in 503.
            return await Task.Run(() => ask(deadline.Token), deadline.Token).WaitAsync(deadline.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RequestTimeoutException or OperationCanceledException)
        {
            throw new ServiceUnavailableException($"{who} did not answer in time; try again shortly", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RequestException or MassTransitException)
        {
            throw new ServiceUnavailableException($"{who} is unavailable; try again shortly", e);
        }
    }
}
