using Banking.DebitService;
using Banking.Ledger;
using Banking.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDebitService();

var app = builder.Build();
return await app.RunLedgerServiceAsync(args);

public partial class Program;
