using Banking.Contracts;

namespace Banking.Gateway.Transfers;

/// <summary>A transfer request that passed validation. <see cref="Reference"/> is the transfer id.</summary>
public sealed record TransferInput(string Reference, string FromAccount, string ToAccount, decimal Amount, string Currency, string? Description)
{
    /// <summary>
    /// The request's fingerprint (<see cref="TransferRules.RequestHash"/>, the one every channel uses): 1000, 1000.0 and
    /// 1000.00 are the same request.
    /// </summary>
    public string RequestHash { get; } = Hash(FromAccount, ToAccount, Amount, Currency, Description);

    public static string Hash(string fromAccount, string toAccount, decimal amount, string currency, string? description) =>
        TransferRules.RequestHash(fromAccount, toAccount, amount, currency, description);

    /// <summary>True when a recorded transfer carries the same money-relevant fields as this request.</summary>
    public bool SameMoneyAs(string? fromAccount, string? toAccount, decimal amount, string? currency) =>
        fromAccount == FromAccount && toAccount == ToAccount && amount == Amount && currency == Currency;
}

/// <summary>The request body as documented (snake_case on the wire). Parsing is done by <see cref="TransferRequestReader"/>.</summary>
public sealed record TransferRequestBody(string FromAccount, string ToAccount, decimal Amount, string Currency, string? Description, string? Reference);
