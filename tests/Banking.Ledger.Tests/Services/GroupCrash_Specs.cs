using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Ledger.Tests.Support;
using Banking.Testing;
using RabbitMQ.Client;

namespace Banking.Ledger.Tests.Services;

/// <summary>
/// DebitService killed (SIGKILL) after its groups committed and before any of their replies reached the broker: the
/// restarted process delivers what the groups stored, once per event, and consumes none of the commands again.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class GroupCrash_Specs
{
    // MassTransit's exchange for the reply type, which the spec's recorder is bound to.
    private const string DebitedExchange = "Banking.Contracts.Ledger:AccountDebited";
    private const string RecorderExchange = "spec-ledger-replies";
    private const string RefusingQueue = "spec-refuse-account-debited";

    [Test]
    public async Task Killed_between_its_groups_commit_and_their_sends_the_service_delivers_every_stored_reply_once_after_a_restart_without_consuming_again()
    {
        await using var service = await LedgerService.DebitAsync("svc_group_crash");
        var accounts = new List<string>();
        for (var i = 0; i < 3; i++) accounts.Add(await service.Ledger.OpenAccountAsync(100_000.00m));
        var commands = Enumerable.Range(0, 60).Select(i => new DebitAccount
        {
            TransferId = $"crash{i}-{Guid.NewGuid():N}",
            AccountNo = accounts[i % accounts.Count],
            Amount = 10.00m + i + 0.25m,
            Currency = "CNY",
            Narrative = "group crash spec",
        }).ToList();

        // The broker refuses every reply (a queue that takes none nacks the publish) and the recorder sees none: the
        // groups commit, and every send of their deliveries fails until the process dies.
        await OnBrokerAsync(service, async broker =>
        {
            await broker.ExchangeUnbindAsync(RecorderExchange, DebitedExchange, "");
            await broker.QueueDeclareAsync(RefusingQueue, durable: false, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-max-length"] = 0, ["x-overflow"] = "reject-publish" });
            await broker.QueueBindAsync(RefusingQueue, DebitedExchange, "");
        });

        await Parallel.ForEachAsync(commands, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (command, _) =>
            await service.Replies.SendAsync(Endpoints.DebitLedger, command, Guid.NewGuid()));
        await Eventually.HoldsAsync(
            async () => await service.Ledger.CountAsync("inbox_state", "consumed IS NOT NULL AND delivered IS NULL") == commands.Count,
            "every debit committed and none delivered",
            describe: async () => $"{await service.Ledger.CountAsync("inbox_state", "consumed IS NOT NULL AND delivered IS NULL")} of {commands.Count}");
        var groups = await GroupCommitCounts.OfAsync(service.Process);
        await service.Process.KillAsync();

        using (Assert.EnterMultipleScope())
        {
            // Retried deliveries commit (a claim, nothing to consume) and count too: only that some group held several.
            Assert.That(groups.Messages, Is.GreaterThan(groups.Committed), "every debit committed alone: no group was crashed");
            Assert.That(await service.Ledger.CountAsync("outbox_message"), Is.EqualTo(commands.Count), "a reply is not kept for delivery");
            Assert.That(await service.ReadyMessagesAsync(Endpoints.DebitLedger + "_error"), Is.Zero, "a command was given up on before the crash");
            Assert.That(service.Replies.All, Is.Empty, "a reply got out before the crash");
        }

        await OnBrokerAsync(service, async broker =>
        {
            await broker.QueueDeleteAsync(RefusingQueue);
            await broker.ExchangeBindAsync(RecorderExchange, DebitedExchange, "");
        });

        await service.Process.StartAsync();
        await Eventually.HoldsAsync(
            () => Task.FromResult(commands.All(c => service.Replies.For(c.TransferId, nameof(AccountDebited)).Count > 0)),
            "a reply to every debit after the restart",
            describe: () => Task.FromResult($"{commands.Count(c => service.Replies.For(c.TransferId, nameof(AccountDebited)).Count > 0)} of {commands.Count} answered"));
        await Eventually.HoldsAsync(async () => await service.Ledger.CountAsync("inbox_state", "delivered IS NULL") == 0, "every delivery recorded");
        await Eventually.HoldsAsync(async () => await service.Ledger.CountAsync("outbox_message") == 0, "the outbox emptied");
        await Task.Delay(TimeSpan.FromSeconds(1));

        var stored = (await service.Ledger.QueryAsync("SELECT transfer_id, balance_after FROM ledger_operation")).ToDictionary(r => (string)r[0]!, r => (decimal)r[1]!);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored, Has.Count.EqualTo(commands.Count), "an operation was lost or recorded twice");
            Assert.That(await service.Ledger.CountAsync("rb_tran_hist"), Is.EqualTo(commands.Count));
            // Every command came back (the broker redelivered what the killed process never acknowledged).
            Assert.That(await service.Ledger.CountAsync("inbox_state", "receive_count < 2"), Is.Zero, "a command was not redelivered after the crash");
            Assert.That(await service.ReadyMessagesAsync(Endpoints.DebitLedger), Is.Zero);
            Assert.That(await service.ReadyMessagesAsync(Endpoints.DebitLedger + "_error"), Is.Zero);
            foreach (var command in commands)
            {
                var replies = service.Replies.For(command.TransferId);
                // One reply, the stored one: consuming the command again would publish another under a new id.
                Assert.That(replies, Has.Count.EqualTo(1), $"{command.TransferId}: not answered exactly once");
                Assert.That(replies.Select(r => r.Type), Has.All.EqualTo(nameof(AccountDebited)), command.TransferId);
                Assert.That(((AccountDebited)replies[0].Message).BalanceAfter, Is.EqualTo(stored[command.TransferId]), $"{command.TransferId}: not the stored outcome");
            }

            foreach (var account in accounts)
            {
                var spent = commands.Where(c => c.AccountNo == account).Sum(c => c.Amount);
                Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(100_000.00m - spent), account);
            }
        }
    }

    /// <summary>One change to the broker's topology on the service's virtual host, on a connection of its own.</summary>
    private static async Task OnBrokerAsync(LedgerService service, Func<IChannel, Task> change)
    {
        await using var connection = await new ConnectionFactory { Uri = service.Broker }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await change(channel);
    }
}
