using System.Text;
using System.Text.Json;
using Banking.Testing;
using RabbitMQ.Client;

namespace Banking.Orchestrator.Tests.Broker;

/// <summary>
/// Issue 16, point 1, on the real broker: every durable queue the three services declare is a quorum queue; each
/// receive queue has a delivery limit and dead-letters into its <c>_error</c> queue, which exists from the start;
/// and a message handed out more often than the limit (here: taken and returned, as a consumer that crashes on it
/// would) ends up in the <c>_error</c> queue, not in an endless loop and not lost.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DurableQueue_Specs
{
    private const int DeliveryLimit = 5;
    private static readonly string[] ReceiveQueues =
        ["transfer-state", TransferPlatform.TransferRequestsQueue, "audit-reads", "debit-ledger", "debit-ledger-queries", "credit-ledger", "credit-ledger-queries"];

    private TransferPlatform platform = null!;

    [OneTimeSetUp]
    public async Task Start() => platform = await TransferPlatform.StartAsync(
        "queues",
        new Dictionary<string, string> { ["Bus__DeliveryLimit"] = DeliveryLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        new Dictionary<string, string> { ["Bus__DeliveryLimit"] = DeliveryLimit.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    [OneTimeTearDown]
    public async Task Stop() => await platform.DisposeAsync();

    [Test]
    public async Task Every_durable_queue_is_a_quorum_queue_and_every_receive_queue_dead_letters_into_its_error_queue()
    {
        var queues = await UntilAsync(QueuesAsync, q => ReceiveQueues.All(name => q.ContainsKey(ErrorQueueOf(name))), TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            foreach (var (name, queue) in queues.Where(q => q.Value.GetProperty("durable").GetBoolean()))
                Assert.That(queue.GetProperty("type").GetString(), Is.EqualTo("quorum"), name);
            foreach (var name in ReceiveQueues)
            {
                Assert.That(queues, Does.ContainKey(name));
                if (!queues.TryGetValue(name, out var queue)) continue;
                var arguments = queue.GetProperty("arguments");
                Assert.That(arguments.GetProperty("x-delivery-limit").GetInt32(), Is.EqualTo(DeliveryLimit), name);
                Assert.That(arguments.GetProperty("x-dead-letter-exchange").GetString(), Is.EqualTo($"{name}_error"), name);
                Assert.That(arguments.GetProperty("x-dead-letter-strategy").GetString(), Is.EqualTo("at-least-once"), name);
                Assert.That(queues, Does.ContainKey($"{name}_error"), "declared before any message faulted");
                if (queues.TryGetValue($"{name}_error", out var error))
                {
                    Assert.That(error.GetProperty("type").GetString(), Is.EqualTo("quorum"));
                    Assert.That(error.GetProperty("arguments").TryGetProperty("x-delivery-limit", out _), Is.False, "nothing consumes an error queue but an operator");
                }
            }
        });
    }

    [Test]
    public async Task A_message_handed_out_more_often_than_the_limit_moves_to_the_error_queue_instead_of_looping()
    {
        // The orchestrator away, so that the test is the queue's only consumer.
        await platform.Orchestrator.StopAsync();
        try
        {
            var transferId = $"poison-{Guid.NewGuid():N}";
            var factory = new ConnectionFactory { Uri = platform.Broker };
            await using var connection = await factory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, UserId = platform.BrokerUser, MessageId = Guid.NewGuid().ToString() };
            await channel.BasicPublishAsync("", TransferPlatform.TransferRequestsQueue, mandatory: true, properties, Encoding.UTF8.GetBytes($$"""{"transfer_id":"{{transferId}}"}"""));

            // Taken and returned, as a consumer whose process dies on it would leave it: every return counts.
            var deliveries = 0;
            for (var attempt = 0; attempt < 200 && deliveries <= DeliveryLimit + 1; attempt++)
            {
                var taken = await channel.BasicGetAsync(TransferPlatform.TransferRequestsQueue, autoAck: false);
                if (taken is null)
                {
                    await Task.Delay(50);
                    continue;
                }

                if (Encoding.UTF8.GetString(taken.Body.Span).Contains(transferId, StringComparison.Ordinal)) deliveries++;
                await channel.BasicNackAsync(taken.DeliveryTag, multiple: false, requeue: true);
            }

            var inError = await UntilAsync(async () =>
            {
                var found = await channel.BasicGetAsync($"{TransferPlatform.TransferRequestsQueue}_error", autoAck: false);
                var body = found is null ? null : Encoding.UTF8.GetString(found.Body.Span);
                if (found is not null) await channel.BasicNackAsync(found.DeliveryTag, multiple: false, requeue: true);
                return body;
            }, body => body is not null, TimeSpan.FromSeconds(15));
            var stillThere = await channel.BasicGetAsync(TransferPlatform.TransferRequestsQueue, autoAck: false);

            Assert.Multiple(() =>
            {
                // RabbitMQ counts the returns: the first delivery and then as many redeliveries as the limit.
                Assert.That(deliveries, Is.EqualTo(DeliveryLimit + 1), "handed out once and redelivered the limit's times");
                Assert.That(inError, Does.Contain(transferId), "dead-lettered into transfer-requests_error");
                Assert.That(stillThere, Is.Null, "and gone from the queue");
            });
        }
        finally
        {
            await platform.Orchestrator.StartAsync();
        }
    }

    private static string ErrorQueueOf(string name) => $"{name}_error";

    /// <summary>What <paramref name="read"/> gives once <paramref name="done"/> holds, or its last answer after <paramref name="within"/>.</summary>
    private static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(200);
        }
    }

    private async Task<Dictionary<string, JsonElement>> QueuesAsync()
    {
        using var http = platform.Servers.ManagementClient();
        var vhost = Uri.EscapeDataString(Uri.UnescapeDataString(platform.Broker.AbsolutePath.TrimStart('/')));
        using var document = JsonDocument.Parse(await http.GetStringAsync($"api/queues/{vhost}?columns=name,durable,type,arguments"));
        return document.RootElement.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!, q => q.Clone());
    }
}
