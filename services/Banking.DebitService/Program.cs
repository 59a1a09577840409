using Banking.DebitService;
using Banking.Ledger;

return await LedgerServiceExtensions.RunLedgerServiceAsync(args, builder => builder.AddDebitService());

public partial class Program;
