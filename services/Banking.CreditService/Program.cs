using Banking.CreditService;
using Banking.Ledger;

return await LedgerServiceExtensions.RunLedgerServiceAsync(args, builder => builder.AddCreditService());

public partial class Program;
