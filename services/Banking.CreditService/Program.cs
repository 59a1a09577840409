using Banking.CreditService;
using Banking.Ledger;
using Banking.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCreditService();

var app = builder.Build();
if (LedgerServiceExtensions.IsMigrateCommand(args)) return await app.RunMigrateCommandAsync();

app.MapDefaultEndpoints();
await app.RunAsync();
return 0;

public partial class Program;
