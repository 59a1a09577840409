using Banking.Messaging.Groups;
using Banking.Messaging.Outbox;
using Banking.Testing;
using MassTransit;

namespace Banking.Messaging.Tests.Support;

/// <summary>
/// What every fixture of this project shares: its own database and virtual host, a counterparty that sends and
/// observes, a fresh <see cref="NoteDesk"/> per test, and the nodes a test started, stopped after it.
/// </summary>
public abstract class BackOfficeSpecs(string name)
{
    private readonly List<MessagingNode> nodes = [];
    private int queues;

    protected BackOfficeDatabase Database { get; private set; } = null!;
    protected Broker Broker { get; private set; } = null!;
    protected Counterparty Counterparty { get; private set; } = null!;
    protected NoteDesk Desk { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartFixture()
    {
        var servers = await RealServers.GetAsync();
        Database = await BackOfficeDatabase.CreateAsync(name);
        Broker = new Broker(await servers.CreateVirtualHostAsync(name.Replace('_', '-')));
        Counterparty = await Counterparty.StartAsync(Broker.Address, "spec-counterparty");
    }

    [OneTimeTearDown]
    public async Task StopFixture() => await Counterparty.DisposeAsync();

    [SetUp]
    public void NewDesk() => Desk = new NoteDesk();

    [TearDown]
    public async Task StopNodes()
    {
        foreach (var node in nodes) await node.DisposeAsync();
        nodes.Clear();
    }

    /// <summary>A reference no other test uses, readable in the database.</summary>
    protected static string NewReference() =>
        $"{TestContext.CurrentContext.Test.MethodName}"[..Math.Min(60, TestContext.CurrentContext.Test.MethodName?.Length ?? 0)] + "-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A queue no other test uses: a test that counts what is left in a queue counts only its own.</summary>
    protected string NewQueue(string prefix) => $"{prefix}-{Interlocked.Increment(ref queues)}-{Guid.NewGuid().ToString("N")[..6]}";

    protected async Task<MessagingNode> StartNodeAsync(
        Action<IBusRegistrationConfigurator> register,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator> endpoints,
        IReadOnlyDictionary<string, string?>? settings = null,
        DispatchBreaker? breaker = null)
    {
        var node = await MessagingNode.StartAsync(Database, Broker.Address, Desk, register, endpoints, settings, breaker);
        nodes.Add(node);
        return node;
    }

    /// <summary>
    /// A node whose queue takes <see cref="RecordNote"/> behind the transactional outbox, with the in-process retry
    /// the bank's services configure in front of it.
    /// </summary>
    protected Task<MessagingNode> StartDeskAsync(string queue, int retries = 2, DispatchBreaker? breaker = null, RetryLog? retryLog = null, bool withArchive = false,
        int? deliveryLimit = null, IReadOnlyDictionary<string, string?>? settings = null, ConsumerWrites consumerWrites = ConsumerWrites.ThroughDbContext) =>
        StartNodeAsync(
            bus =>
            {
                bus.AddConsumer<RecordNoteConsumer>();
                if (withArchive) bus.AddConsumer<ArchiveNoteConsumer>();
            },
            (context, cfg) => cfg.ReceiveEndpoint(queue, e =>
            {
                e.UseMessageRetry(r =>
                {
                    r.Immediate(retries);
                    if (retryLog is not null) r.ConnectRetryObserver(retryLog);
                });
                e.UseTransactionalOutbox<BackOfficeDbContext>(context, outbox =>
                {
                    if (deliveryLimit is { } limit) outbox.MessageDeliveryLimit = limit;
                }, consumerWrites);
                e.ConfigureConsumer<RecordNoteConsumer>(context);
                if (withArchive) e.ConfigureConsumer<ArchiveNoteConsumer>(context);
            }),
            settings,
            breaker);

    protected async Task StopNodesAsync()
    {
        foreach (var node in nodes) await node.StopAsync();
    }

    /// <summary>Events still on their way from the broker get this long to arrive before a test counts them.</summary>
    protected static Task SettleAsync() => Task.Delay(TimeSpan.FromMilliseconds(750));
}
