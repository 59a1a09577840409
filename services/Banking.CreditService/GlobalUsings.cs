// What every consumer of this ledger service works with: the ledger commands and replies, the ledger library, MassTransit.
global using Banking.Contracts.Ledger;
global using Banking.Ledger;
global using Banking.Ledger.Commands;
global using Banking.Ledger.Data;
global using MassTransit;
