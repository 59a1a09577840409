namespace Banking.Contracts.Transfers;

/// <summary>
/// A page of transfers from <c>transfer_log</c>, newest first, answered by the orchestrator with <see cref="TransferList"/>.
/// Every filter that is set must hold; <see cref="RequestedBy"/> is how the gateway keeps a channel or a customer to its own.
/// </summary>
public record GetTransferList
{
    /// <summary>Transfers from or to this account.</summary>
    public string? Account { get; init; }

    /// <summary>PENDING, SUCCESS, FAILED or ROLLBACK.</summary>
    public string? Status { get; init; }

    /// <summary>Only transfers requested by this caller (TransferRequested.RequestedBy).</summary>
    public string? RequestedBy { get; init; }

    /// <summary>Only transfers older than this one (the previous page's <see cref="TransferList.NextBefore"/>).</summary>
    public long? Before { get; init; }

    public required int Limit { get; init; }
}

/// <summary>The answer to <see cref="GetTransferList"/>.</summary>
public record TransferList
{
    public IReadOnlyList<TransferStatus> Transfers { get; init; } = [];

    /// <summary>Where the next page starts; null when this page is the last.</summary>
    public long? NextBefore { get; init; }
}
