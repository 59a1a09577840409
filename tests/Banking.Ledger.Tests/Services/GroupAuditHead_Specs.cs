using Banking.Contracts;
using Banking.Contracts.Ledger;
using Banking.Ledger.Tests.Support;
using Banking.Messaging.Audit;
using Banking.Testing;
using MySqlConnector;

namespace Banking.Ledger.Tests.Services;

/// <summary>
/// Issue 14: a group chains its audit rows from the head its endpoint committed last, without reading the head
/// first. These specs move the head behind the service's back between two groups, the two ways it can move: ahead
/// (another writer appended to the chain) and back (a promoted replica that never got the last commit). Either way
/// the group that chained from the old head must fail whole, run again reading the head, and leave one unbroken
/// chain with every operation in it once.
/// </summary>
[TestFixture]
public sealed class GroupAuditHead_Specs
{
    public enum HeadMove
    {
        AheadByAnotherWriter,
        BackAsAfterAFailover,
    }

    [TestCase(HeadMove.AheadByAnotherWriter, TestName = "A group chaining from a head another writer has moved on runs again whole reading the head, and the audit chain stays unbroken")]
    [TestCase(HeadMove.BackAsAfterAFailover, TestName = "A group chaining from a head the database no longer has (a failover lost the last commit) runs again whole reading the head, and the audit chain stays unbroken")]
    public async Task A_group_whose_known_audit_head_moved_runs_again_reading_it_and_the_chain_stays_unbroken(HeadMove move)
    {
        await using var service = await LedgerService.DebitAsync($"svc_audit_head_{(int)move}");
        var account = await service.Ledger.OpenAccountAsync(1_000.00m);

        var first = await DebitAsync(service, account, 10.00m);
        var chain = Endpoints.DebitLedger;
        Assert.That(await service.Ledger.CountAsync("audit_log", "chain = @c", ("@c", chain)), Is.EqualTo(1), "the first debit's audit row");

        if (move == HeadMove.AheadByAnotherWriter)
        {
            await using var connection = new MySqlConnection(service.Ledger.ConnectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted);
            await AuditChain.AppendAsync(connection, transaction, chain, [new AuditEntry("SPEC_NOTE", "spec", "the chain's head moves on")], CancellationToken.None);
            await transaction.CommitAsync();
        }
        else
        {
            // What a replica promoted before it applied the last commit holds: neither that commit's row nor its head.
            await service.Ledger.ExecuteAsync("DROP TRIGGER IF EXISTS audit_log_no_delete");
            await service.Ledger.ExecuteAsync("DELETE FROM audit_log WHERE chain = @c", ("@c", chain));
            await service.Ledger.ExecuteAsync("UPDATE audit_chain SET last_seq = 0, last_hash = @g WHERE chain = @c", ("@g", AuditHash.Genesis), ("@c", chain));
        }

        var second = await DebitAsync(service, account, 20.00m);

        await using var verify = new MySqlConnection(service.Ledger.ConnectionString);
        await verify.OpenAsync();
        var verification = await AuditVerifier.VerifyAsync(verify);
        var counts = await GroupCommitCounts.OfAsync(service.Process);
        var rows = await service.Ledger.QueryAsync("SELECT seq, subject FROM audit_log WHERE chain = @c ORDER BY seq", ("@c", chain));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(counts.AuditHeadMoved, Is.EqualTo(1), "the second debit's group did not fail on the moved head");
            Assert.That(verification.Intact, Is.True, string.Join("; ", verification.Chains.Select(c => c.FirstBreak)));
            var expected = move == HeadMove.AheadByAnotherWriter ? new long[] { 1, 2, 3 } : [1];
            Assert.That(rows.Select(r => Convert.ToInt64(r[0])), Is.EqualTo(expected), "the chain's places");
            Assert.That((string)rows[^1][1]!, Is.EqualTo(second), "the second debit's row is the chain's last");
            Assert.That(await service.Ledger.CountAsync("ledger_operation"), Is.EqualTo(2), "a debit was lost or applied twice");
            Assert.That(await service.Ledger.BalanceAsync(account), Is.EqualTo(970.00m));
            Assert.That(service.Replies.For(first, nameof(AccountDebited)).Select(r => r.MessageId).Distinct().Count(), Is.EqualTo(1));
            Assert.That(service.Replies.For(second, nameof(AccountDebited)).Select(r => r.MessageId).Distinct().Count(), Is.EqualTo(1));
        }
    }

    private static async Task<string> DebitAsync(LedgerService service, string account, decimal amount)
    {
        var transferId = $"head-{Guid.NewGuid():N}";
        await service.Replies.SendAsync(Endpoints.DebitLedger, new DebitAccount
        {
            TransferId = transferId,
            AccountNo = account,
            Amount = amount,
            Currency = "CNY",
            Narrative = "audit head spec",
        }, Guid.NewGuid());
        await Eventually.HoldsAsync(() => Task.FromResult(service.Replies.For(transferId, nameof(AccountDebited)).Count > 0), $"the reply to {transferId}");
        return transferId;
    }
}
