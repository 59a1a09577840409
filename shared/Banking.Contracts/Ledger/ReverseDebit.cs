namespace Banking.Contracts.Ledger;

/// <summary>Give back exactly what the transfer's debit took. Never refused for business reasons; a no-op (that also fences a late debit) when the debit was never applied.</summary>
public record ReverseDebit
{
    public required string TransferId { get; init; }
    public required string AccountNo { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
}
