using System.Net;
using Banking.Gateway.Tests.Support;
using Banking.Messaging.Audit;
using Banking.ServiceDefaults.Security;
using Banking.Testing;
using MySqlConnector;

namespace Banking.Gateway.Tests;

/// <summary>
/// Issue 17, point 1, end to end: one transfer over REST leaves its trail in each database, in the transaction of the
/// service that acted (the request and who sent it from where in <c>bank_core</c>, the debit in DB1, the credit in
/// DB2), each on the chain of the endpoint that wrote it, and every chain verifies.
/// </summary>
[NonParallelizable]
public sealed class AuditTrail_Specs
{
    private TransferPlatform platform = null!;
    private GatewayHost gateway = null!;
    private HttpClient channel = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        platform = await TransferPlatform.StartAsync("gw-audit");
        gateway = await GatewayHost.StartAsync("gw-audit-gateway", new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = platform.Broker.ToString(),
        }, withResponder: false);
        await gateway.WaitUntilReadyAsync();
        channel = gateway.ClientAs(Roles.Channel);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        channel.Dispose();
        await gateway.DisposeAsync();
        await platform.DisposeAsync();
    }

    private static async Task<List<(string Chain, string Action, string Actor, string? Address, string? Details)>> TrailAsync(string database, string subject)
    {
        await using var connection = new MySqlConnection(database);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT chain, action, actor, source_address, details FROM audit_log WHERE subject = @s ORDER BY occurred_at, seq", connection);
        command.Parameters.AddWithValue("@s", subject);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string, string?, string?)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        return rows;
    }

    private static async Task<AuditVerification> VerifyAsync(string database)
    {
        await using var connection = new MySqlConnection(database);
        await connection.OpenAsync();
        return await AuditVerifier.VerifyAsync(connection);
    }

    [Test]
    public async Task A_transfer_is_in_the_audit_trail_of_each_service_that_acted_on_it()
    {
        var reference = $"aud-{Guid.NewGuid():N}";
        using var response = await channel.PostTransfer(new
        {
            from_account = "6230399991006371427", to_account = "6230399991006371428", amount = 12.34m, currency = "CNY", description = "audit", reference,
        });
        // 200, or 202 when the machine is slow: either way the transfer completes.
        Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        Assert.That((await platform.WaitForFinalAsync(reference)).Status, Is.EqualTo("SUCCESS"));

        var core = await TrailAsync(platform.Core, reference);
        var debit = await TrailAsync(platform.Db1, reference);
        var credit = await TrailAsync(platform.Db2, reference);

        Assert.Multiple(async () =>
        {
            Assert.That(core.Select(r => r.Action), Does.Contain("TransferRequested"));
            var requested = core.Single(r => r.Action == "TransferRequested");
            Assert.That(requested.Actor, Is.EqualTo("dev-channel"), "who asked: the token's subject");
            Assert.That(requested.Address, Is.EqualTo("127.0.0.1"), "from where");
            Assert.That(requested.Details, Does.Contain("via REST"));
            Assert.That(debit.Select(r => (r.Chain, r.Action)), Is.EqualTo(new[] { ("debit-ledger", "DEBIT_APPLIED") }));
            Assert.That(credit.Select(r => (r.Chain, r.Action)), Is.EqualTo(new[] { ("credit-ledger", "CREDIT_APPLIED") }));
            Assert.That(debit.Single().Details, Does.Contain("12.34 CNY").And.Not.Contain("6230399991006371427"));
            foreach (var database in new[] { platform.Core, platform.Db1, platform.Db2 })
                Assert.That((await VerifyAsync(database)).Intact, Is.True);
        });
    }

    [Test]
    public async Task Reads_are_in_the_audit_trail_with_who_looked_from_where_and_the_answer()
    {
        var unknown = $"aud-unknown-{Guid.NewGuid():N}";
        using (var balance = await channel.GetAsync("/api/v1/account/6230399991006371428/balance"))
            Assert.That(balance.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using (var transfer = await channel.GetAsync($"/api/v1/transfer/{unknown}"))
            Assert.That(transfer.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        await Eventually.HoldsAsync(async () => (await TrailAsync(platform.Core, unknown)).Count == 1
            && (await TrailAsync(platform.Core, "6230399991006371428")).Any(r => r.Action == "BalanceRead"), "both reads reached the trail");
        var balanceRead = (await TrailAsync(platform.Core, "6230399991006371428")).Where(r => r.Action == "BalanceRead").ToList();
        var transferRead = (await TrailAsync(platform.Core, unknown)).Single();

        Assert.Multiple(async () =>
        {
            Assert.That(balanceRead, Has.Count.GreaterThanOrEqualTo(1));
            Assert.That(balanceRead.Select(r => (r.Chain, r.Actor, r.Address)), Has.All.EqualTo(("audit-reads", "dev-channel", "127.0.0.1")));
            Assert.That(balanceRead[^1].Details, Is.EqualTo("answered 200"));
            Assert.That((transferRead.Action, transferRead.Details), Is.EqualTo(("TransferRead", "answered 404")), "a refused look is recorded too");
            Assert.That((await VerifyAsync(platform.Core)).Intact, Is.True);
        });
    }
}
