using Banking.DebitService;
using Banking.Ledger;
using Banking.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDebitService();

var app = builder.Build();
if (LedgerServiceExtensions.IsMigrateCommand(args)) return await app.RunMigrateCommandAsync();

app.MapDefaultEndpoints();
await app.RunAsync();
return 0;

public partial class Program;
