using Banking.Messaging;
using Banking.Orchestrator.Apis;
using Banking.Orchestrator.Audit;
using Banking.Orchestrator.Dashboard;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.Extensions;
using Banking.Orchestrator.Reconciliation;
using Banking.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTransferOrchestration();
builder.AddOperatorSecurity();
builder.AddSagaDashboard();
builder.AddReconciliation();

var app = builder.Build();
app.UseHttpsWhenServed();
if (DatabaseInitializerExtensions.IsMigrateCommand(args)) return await app.RunMigrateCommandAsync<CoreDbContext>();
if (DatabaseInitializerExtensions.IsVerifyAuditCommand(args)) return await app.RunVerifyAuditCommandAsync<CoreDbContext>();
if (ReconcileCommand.IsRequested(args)) return await ReconcileCommand.RunAsync(app, args);

app.UseErrorAnswers();
app.UseDashboardSecurityHeaders();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapOperatorApi();
app.MapReconciliationApi();
app.MapAuditVerificationApi();
app.MapSagaDashboard();
await app.RunAsync();
// Not `return 0`: that would overwrite the exit code a component set while stopping the service (the outbox
// watchdog's 75 after a stall), and the supervisor's Restart=on-failure would never see it.
return Environment.ExitCode;

public partial class Program;
