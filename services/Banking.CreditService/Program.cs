using Banking.CreditService;
using Banking.Ledger;
using Banking.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCreditService();

var app = builder.Build();
return await app.RunLedgerServiceAsync(args);

public partial class Program;
