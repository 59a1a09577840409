using Banking.Orchestrator.Apis;
using Banking.Orchestrator.Dashboard;
using Banking.Orchestrator.Extensions;
using Banking.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTransferOrchestration();
builder.AddOperatorSecurity();
builder.AddSagaDashboard();

var app = builder.Build();
if (OrchestratorExtensions.IsMigrateCommand(args)) return await app.RunMigrateCommandAsync();

app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapOperatorApi();
app.MapSagaDashboard();
await app.RunAsync();
return 0;

public partial class Program;
