using Banking.Messaging.Outbox;
using Banking.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Banking.Messaging.Tests.Support;

/// <summary>
/// One instance of a service built on <c>Banking.Messaging</c>, in process: a generic host with the back office
/// DbContext, <see cref="OutboxRegistrationExtensions.AddTransactionalOutbox{TDbContext}"/>, and a MassTransit bus
/// on the real broker whose receive endpoints the test configures. Several nodes on one queue and one database
/// behave like several instances of a service.
/// </summary>
public sealed class MessagingNode : IAsyncDisposable
{
    private readonly IHost host;
    private bool stopped;

    private MessagingNode(IHost host) => this.host = host;

    public IServiceProvider Services => host.Services;

    public IBus Bus => host.Services.GetRequiredService<IBus>();

    public static async Task<MessagingNode> StartAsync(
        BackOfficeDatabase database,
        Uri broker,
        NoteDesk desk,
        Action<IBusRegistrationConfigurator> register,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator> configureEndpoints,
        IReadOnlyDictionary<string, string?>? settings = null,
        DispatchBreaker? breaker = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);

        builder.Services.AddSingleton(desk);
        builder.Services.AddDbContext<BackOfficeDbContext>(options =>
            options.UseBankingMySql(database.ConnectionString, BackOfficeDbContext.MigrationsHistoryTable, typeof(BackOfficeDbContext).Assembly));

        // Publishing before the endpoints are bound would lose the messages: the tests start sending right away.
        builder.Services.Configure<MassTransitHostOptions>(options =>
        {
            options.WaitUntilStarted = true;
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });

        builder.Services.AddMassTransit(bus =>
        {
            bus.UseBankingDefaults();
            bus.AddTransactionalOutbox<BackOfficeDbContext>();
            register(bus);
            bus.UsingRabbitMq((context, cfg) =>
            {
                var address = RabbitMqAddress.Parse(broker.ToString());
                cfg.Host(address.Host, address.Port, address.VirtualHost, "messaging-specs", h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                    h.PublisherConfirmation = true;
                });
                cfg.PrefetchCount = 16;
                if (breaker is not null) cfg.ConfigureSend(send => send.UseFilter(breaker));
                configureEndpoints(context, cfg);
            });
        });

        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new MessagingNode(host);
    }

    /// <summary>
    /// Stops the bus the way a service shuts down: messages in flight finish and are acknowledged, prefetched ones go
    /// back to the queue. After this, a message still in the queue is one nobody acknowledged.
    /// </summary>
    public async Task StopAsync()
    {
        if (stopped) return;
        stopped = true;
        await host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        host.Dispose();
    }
}
