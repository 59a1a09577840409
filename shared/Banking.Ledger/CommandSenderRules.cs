using Banking.Contracts.Ledger;
using Banking.ServiceDefaults;
using Microsoft.Extensions.Logging;

namespace Banking.Ledger;

/// <summary>
/// The ledger's rule for <see cref="BrokerSenderFilter"/>: every message on the ledger queue, whatever its type, must
/// come from the orchestrator's login (<see cref="LedgerOptions.CommandSender"/>).
/// </summary>
public static class CommandSenderRules
{
    public static readonly EventId CommandRefused = new(4031, "LedgerCommandSenderRefused");

    public static BrokerSenderRules For(string commandSender) =>
        new BrokerSenderRules("ledger command", CommandRefused, everyMessageFrom: commandSender)
            .Require<DebitAccount>(commandSender, m => m.TransferId)
            .Require<CreditAccount>(commandSender, m => m.TransferId)
            .Require<ReverseDebit>(commandSender, m => m.TransferId)
            .Require<CancelDebit>(commandSender, m => m.TransferId)
            .Require<CancelCredit>(commandSender, m => m.TransferId);
}
