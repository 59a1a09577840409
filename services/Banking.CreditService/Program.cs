using Banking.CreditService;

return await LedgerServiceExtensions.RunLedgerServiceAsync(args, builder => builder.AddCreditService());

public partial class Program;
