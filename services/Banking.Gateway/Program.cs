using Banking.Gateway.Apis;
using Banking.Gateway.Extensions;
using Banking.Gateway.Security;
using Banking.ServiceDefaults;

// `token --role ...` prints a development token and exits; it never starts the service.
var tokenCommand = TokenCommand.IsRequested(args);
var builder = WebApplication.CreateBuilder(tokenCommand ? [] : args);
if (tokenCommand) return TokenCommand.Run(args, builder.Configuration, builder.Environment, Console.Out, Console.Error);

builder.AddServiceDefaults();
builder.AddGatewayServices();
builder.AddGatewaySecurity();
builder.AddGatewayOpenApi();

var app = builder.Build();
app.UseHttpsWhenServed();

app.UseGatewayPipeline();
app.MapDefaultEndpoints();
app.MapTransferApi();
app.MapAccountApi();
app.MapTransferListApi();
app.MapGatewayDocs();

app.Run();
// Not `return 0`: that would overwrite the exit code a component set while stopping the service (the outbox
// watchdog's 75 after a stall), and the supervisor's Restart=on-failure would never see it.
return Environment.ExitCode;

public partial class Program;
