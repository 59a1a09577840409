using Banking.DebitService;
using Banking.Ledger.Data;
using Banking.Messaging;
using Banking.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDebitService();

var app = builder.Build();
if (DatabaseInitializerExtensions.IsMigrateCommand(args)) return await app.RunMigrateCommandAsync<LedgerDbContext>();

app.UseErrorAnswers();
app.MapDefaultEndpoints();
await app.RunAsync();
// Not `return 0`: that would overwrite the exit code a component set while stopping the service (the outbox
// watchdog's 75 after a stall), and the supervisor's Restart=on-failure would never see it.
return Environment.ExitCode;

public partial class Program;
