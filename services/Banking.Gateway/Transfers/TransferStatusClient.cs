using Banking.Contracts;
using Banking.Contracts.Transfers;
using Banking.Gateway.Errors;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Banking.Gateway.Transfers;

/// <summary>Asks the orchestrator (queue <c>transfer-status</c>) for a transfer's record.</summary>
public sealed class TransferStatusClient(IBus bus, IOptions<GatewayOptions> options)
{
    private readonly GatewayQuery<GetTransferStatus> orchestrator = new(bus, Endpoints.TransferStatus, "The transfer service", options.Value);

    /// <summary>The record (Found may be false). Throws <see cref="ServiceUnavailableException"/> when the orchestrator does not answer in time.</summary>
    public Task<TransferStatus> GetAsync(string transferId, CancellationToken cancellationToken) =>
        orchestrator.AskAsync<TransferStatus>(new GetTransferStatus { TransferId = transferId }, cancellationToken);

    private readonly GatewayQuery<GetTransferList> lists = new(bus, Endpoints.TransferStatus, "The transfer service", options.Value);

    /// <summary>A page of transfers; <see cref="ServiceUnavailableException"/> when the orchestrator does not answer in time.</summary>
    public Task<TransferList> ListAsync(GetTransferList question, CancellationToken cancellationToken) =>
        lists.AskAsync<TransferList>(question, cancellationToken);
}
