using Banking.Messaging.Outbox;
using Banking.Messaging.Tests.Support;
using Banking.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Banking.Messaging.Tests.Outbox;

/// <summary>
/// The inbox forgets a delivered message once the duplicate-detection window has passed, and only then; a message
/// whose outgoing messages are not delivered yet is never forgotten, or its redelivery would consume it again.
/// </summary>
[TestFixture]
public sealed class InboxCleanup_Specs() : BackOfficeSpecs("msg_inbox_cleanup")
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    [Test]
    public async Task Cleanup_deletes_delivered_rows_older_than_the_window_in_batches_and_keeps_the_rest()
    {
        var cleanup = NewCleanup(batchSize: 10);
        await cleanup.CleanUpAsync(CancellationToken.None);
        var consumer = NewId.NextGuid();
        var now = DateTime.UtcNow;

        var expired = await AddInboxRowsAsync(consumer, 25, consumed: now.AddMinutes(-3), delivered: now.AddMinutes(-2));
        var recent = await AddInboxRowsAsync(consumer, 3, consumed: now.AddSeconds(-20), delivered: now.AddSeconds(-10));
        var undelivered = await AddInboxRowsAsync(consumer, 2, consumed: now.AddHours(-2), delivered: null);

        var deleted = await cleanup.CleanUpAsync(CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            // 25 rows with a batch of 10: the loop must go on after full batches and stop after the short one.
            Assert.That(deleted, Is.EqualTo(25));
            Assert.That(await RowsAsync(expired), Is.Zero, "expired rows kept");
            Assert.That(await RowsAsync(recent), Is.EqualTo(3), "rows within the window deleted");
            Assert.That(await RowsAsync(undelivered), Is.EqualTo(2), "rows whose messages are not delivered deleted");
        }
    }

    [Test]
    public async Task The_cleanup_registered_with_the_outbox_runs_on_its_interval_with_the_configured_window()
    {
        var consumer = NewId.NextGuid();
        var now = DateTime.UtcNow;
        var expired = await AddInboxRowsAsync(consumer, 4, consumed: now.AddMinutes(-10), delivered: now.AddMinutes(-9));
        var recent = await AddInboxRowsAsync(consumer, 2, consumed: now.AddSeconds(-5), delivered: now.AddSeconds(-5));

        await StartNodeAsync(_ => { }, (_, _) => { }, new Dictionary<string, string?>
        {
            [$"{InboxCleanupOptions.Section}:DuplicateDetectionWindow"] = "00:01:00",
            [$"{InboxCleanupOptions.Section}:CleanupInterval"] = "00:00:01",
        });

        await Eventually.HoldsAsync(async () => await RowsAsync(expired) == 0, "the expired rows deleted by the hosted cleanup", TimeSpan.FromSeconds(15));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(await RowsAsync(recent), Is.EqualTo(2), "the hosted cleanup deleted rows within the window");
    }

    [Test]
    public void A_window_shorter_than_a_minute_is_refused_when_the_service_starts()
    {
        // A window of seconds would forget a message before RabbitMQ redelivers it after a crash.
        Assert.ThrowsAsync<OptionsValidationException>(async () =>
            await StartNodeAsync(_ => { }, (_, _) => { }, new Dictionary<string, string?>
            {
                [$"{InboxCleanupOptions.Section}:DuplicateDetectionWindow"] = "00:00:05",
            }));
    }

    private InboxCleanupService<BackOfficeDbContext> NewCleanup(int batchSize)
    {
        var services = new ServiceCollection();
        services.AddDbContext<BackOfficeDbContext>(options =>
            options.UseBankingMySql(Database.ConnectionString, BackOfficeDbContext.MigrationsHistoryTable, typeof(BackOfficeDbContext).Assembly));
        var provider = services.BuildServiceProvider();
        var options = Options.Create(new InboxCleanupOptions { DuplicateDetectionWindow = Window, BatchSize = batchSize });
        return new InboxCleanupService<BackOfficeDbContext>(provider.GetRequiredService<IServiceScopeFactory>(), options, NullLogger<InboxCleanupService<BackOfficeDbContext>>.Instance);
    }

    /// <summary>Inbox rows as the outbox leaves them, with chosen times; returns their message ids.</summary>
    private async Task<IReadOnlyList<Guid>> AddInboxRowsAsync(Guid consumer, int count, DateTime consumed, DateTime? delivered)
    {
        var ids = Enumerable.Range(0, count).Select(_ => NewId.NextGuid()).ToList();
        foreach (var id in ids)
        {
            await Database.ExecuteAsync(
                """
                INSERT INTO inbox_state (message_id, consumer_id, lock_id, received, receive_count, consumed, delivered)
                VALUES (@m, @c, @l, @r, 1, @consumed, @delivered)
                """,
                ("@m", id.ToString()), ("@c", consumer.ToString()), ("@l", Guid.NewGuid().ToString()), ("@r", consumed),
                ("@consumed", consumed), ("@delivered", delivered));
        }

        return ids;
    }

    private async Task<long> RowsAsync(IReadOnlyList<Guid> messageIds)
    {
        var list = string.Join(",", messageIds.Select(id => $"'{id}'"));
        return await Database.CountAsync("inbox_state", $"message_id IN ({list})");
    }
}
