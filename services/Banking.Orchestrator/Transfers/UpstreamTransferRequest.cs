using System.Text.Json;
using System.Text.Json.Serialization;

namespace Banking.Orchestrator.Transfers;

/// <summary>
/// A transfer request as plain JSON from an upstream system, published to the <c>transfer-requests</c> exchange
/// with RabbitMQ's own client in any language. The fields are the REST API's (snake_case); <c>transfer_id</c> is
/// the idempotency key, as <c>reference</c> is for REST.
/// </summary>
public record UpstreamTransferRequest
{
    [JsonPropertyName("transfer_id")]
    public string? TransferId { get; init; }

    [JsonPropertyName("from_account")]
    public string? FromAccount { get; init; }

    [JsonPropertyName("to_account")]
    public string? ToAccount { get; init; }

    /// <summary>
    /// Kept as the JSON the sender wrote: read into a decimal, a string ("0.01") would be accepted and 30 decimals
    /// rounded without a word. <see cref="Banking.Contracts.TransferRules.ReadAmount"/> decides.
    /// </summary>
    [JsonPropertyName("amount")]
    public JsonElement Amount { get; init; }

    [JsonPropertyName("currency")]
    public string? Currency { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    /// <summary>The upstream system's name, kept in the audit trail.</summary>
    [JsonPropertyName("requested_by")]
    public string? RequestedBy { get; init; }
}
