using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Banking.ServiceDefaults;

public static class BusExtensions
{
    /// <summary>
    /// MassTransit on RabbitMQ (<c>ConnectionStrings:RabbitMq</c>) with the bank's settings: publisher confirms,
    /// durable queues and persistent messages (MassTransit's defaults), a bounded prefetch, no usage telemetry,
    /// <c>user_id</c> = the broker login on every message (see <see cref="BrokerUserStamp"/>), and nothing that needs the
    /// delayed-message plugin (the broker here would close the connection); what a consume logs carries the
    /// message's transfer id (<see cref="TransferIdLogFilter{T}"/>).
    /// Endpoints are configured from the registrations after <paramref name="configureBus"/> has run.
    /// </summary>
    public static IHostApplicationBuilder AddBankingBus(
        this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator> configureConsumers,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configureBus = null)
    {
        DisableUsageTelemetryForProcess();
        builder.Services.AddOptions<BusOptions>().BindConfiguration(BusOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddServerCertificates();
        builder.Services.AddSingleton<DurableQueueNames>();

        builder.Services.AddMassTransit(bus =>
        {
            bus.UseBankingDefaults();
            bus.AddConfigureEndpointsCallback((context, name, endpoint) =>
            {
                var options = context.GetRequiredService<IOptions<BusOptions>>().Value;
                endpoint.UseBrokerUserSafeMoves(DurableQueues.MoveQueueArguments(options));
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit && options.QueueType == BrokerQueueType.Quorum)
                {
                    DurableQueues.ConfigureReceiveQueue(rabbit, name, options);
                    context.GetRequiredService<DurableQueueNames>().Add(name);
                }
            });
            configureConsumers(bus);
            bus.UsingRabbitMq((context, cfg) =>
            {
                var broker = RabbitMqAddress.Parse(context.GetRequiredService<IConfiguration>().GetConnectionString("RabbitMq"));
                var service = context.GetRequiredService<IOptions<ServiceOptions>>().Value;
                var options = context.GetRequiredService<IOptions<BusOptions>>().Value;
                var certificates = context.GetRequiredService<ServerCertificates>();

                // The connection name shows up in the management UI, so an operator can tell the services apart.
                cfg.Host(broker.Host, broker.Port, broker.VirtualHost, service.Name, host =>
                {
                    host.Username(broker.Username);
                    host.Password(broker.Password);
                    host.PublisherConfirmation = true;
                    // A cluster: the connection string's node first, then the others; MassTransit reconnects to
                    // whichever answers when the one it is on dies.
                    if (BrokerNodes.Split(options.ClusterNodes).Any())
                    {
                        host.UseCluster(cluster =>
                        {
                            foreach (var (nodeHost, nodePort) in BrokerNodes.Of(broker, options)) cluster.Node($"{nodeHost}:{nodePort}");
                        });
                    }

                    if (broker.UseTls)
                    {
                        host.UseSsl(ssl =>
                        {
                            ssl.ServerName = broker.Host;
                            ssl.CertificateValidationCallback = certificates.Validate;
                        });
                    }
                });
                cfg.PrefetchCount = options.PrefetchCount;
                DurableQueues.ConfigureMoveQueues(cfg);
                cfg.StampBrokerUser(broker.Username);
                cfg.ConfigureSend(send => send.UseFilter(BankQueueSends.Instance));
                cfg.UseConsumeFilter(typeof(TransferIdLogFilter<>), context);

                configureBus?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        builder.Services.AddHostedService<ErrorQueueDeclarer>();

        return builder;
    }

    /// <summary>
    /// What every bus in this solution needs, also for buses set up outside <see cref="AddBankingBus"/> (e.g. the
    /// test harness): MassTransit 8.5 reports usage to an outside host unless told not to, and a bank's services
    /// call nobody they were not told to.
    /// </summary>
    public static IBusRegistrationConfigurator UseBankingDefaults(this IBusRegistrationConfigurator bus)
    {
        bus.DisableUsageTelemetry();
        return bus;
    }

    // The environment switch also covers buses whose registration never passes through UseBankingDefaults.
    internal static void DisableUsageTelemetryForProcess() =>
        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
}
