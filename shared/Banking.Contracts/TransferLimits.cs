namespace Banking.Contracts;

/// <summary>What a platform accepts beyond a request's shape: the per-transfer limit and the currencies it serves.</summary>
public sealed record TransferLimits(decimal MaxTransferAmount, IReadOnlyCollection<string> Currencies);
