using Banking.DebitService;

return await LedgerServiceExtensions.RunLedgerServiceAsync(args, builder => builder.AddDebitService());

public partial class Program;
