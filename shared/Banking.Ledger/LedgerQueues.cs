namespace Banking.Ledger;

/// <summary>
/// The two queues of one ledger service: <see cref="Commands"/> moves money behind the outbox and the sender check,
/// <see cref="Queries"/> answers read-only questions outside them. The definitions put each consumer on one of them.
/// </summary>
public sealed record LedgerQueues(string Commands, string Queries);
