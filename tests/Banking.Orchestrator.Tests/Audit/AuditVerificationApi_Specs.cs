using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Banking.Testing;
using MySqlConnector;

namespace Banking.Orchestrator.Tests.Audit;

/// <summary>
/// Issue 17, point 1, the operator API call: <c>GET /api/v1/operator/audit</c> walks the chains of bank_core, DB1
/// and DB2 after real transfers and reports them intact; rows edited or deleted behind the platform's back (by an
/// administrator who drops the refusing triggers first) are named by database, chain, row and kind; the call is
/// for operators only and is itself in the orchestrator's trail.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AuditVerificationApi_Specs
{
    private TransferPlatform platform = null!;

    [OneTimeSetUp]
    public async Task RunTransfers()
    {
        platform = await TransferPlatform.StartAsync("auditapi");
        var source = await platform.OpenAccountAsync(1, "67", 1_000.00m);
        var destination = await platform.OpenAccountAsync(2, "67", 0.00m);
        var frozen = await platform.OpenAccountAsync(2, "67", 0.00m, status: "F");
        foreach (var (to, amount) in new[] { (destination, 10.00m), (destination, 20.00m), (frozen, 30.00m) })
        {
            var id = $"audit-{Guid.NewGuid():N}";
            await platform.SubmitAsync(id, source, to, amount);
            await platform.WaitForFinalAsync(id);
        }
    }

    [OneTimeTearDown]
    public async Task Stop() => await platform.DisposeAsync();


    [Test]
    [Order(1)]
    public async Task After_real_transfers_every_database_is_intact_and_the_call_is_in_the_trail()
    {
        var (status, first) = await VerifyAsync("first.auditor");
        var (_, second) = await VerifyAsync("second.auditor");

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(first.GetProperty("intact").GetBoolean(), Is.True, first.ToString());
            Assert.That(first.GetProperty("verified_by").GetString(), Is.EqualTo("first.auditor"));
            var databases = first.GetProperty("databases").EnumerateArray().ToList();
            Assert.That(databases.Select(d => d.GetProperty("database").GetString()), Is.EqualTo(new[] { "bank_core", "DB1", "DB2" }));
            Assert.That(databases.Select(d => d.GetProperty("available").GetBoolean()), Has.All.True);
            // Three debits and one reversal in DB1, two credits and one refusal in DB2, the requests in bank_core.
            Assert.That(RowsOf(databases[1]), Is.GreaterThanOrEqualTo(4));
            Assert.That(RowsOf(databases[2]), Is.GreaterThanOrEqualTo(3));
            Assert.That(RowsOf(databases[0]), Is.GreaterThanOrEqualTo(3));
            // The first call is a row of the operator chain when the second one walks it.
            var operatorChain = second.GetProperty("databases")[0].GetProperty("chains").EnumerateArray().Single(c => c.GetProperty("chain").GetString() == "operator");
            Assert.That(operatorChain.GetProperty("rows").GetInt64(), Is.GreaterThanOrEqualTo(1));
            Assert.That(operatorChain.GetProperty("first_break").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });

        var actors = await QueryAsync(platform.Core, "SELECT actor, action FROM audit_log WHERE chain = 'operator' ORDER BY seq");
        Assert.That(actors, Does.Contain(("first.auditor", "AuditTrailVerified")).And.Contain(("second.auditor", "AuditTrailVerified")));
    }

    [Test]
    [Order(2)]
    public async Task Rows_edited_and_deleted_behind_the_platforms_back_are_named_by_database_chain_and_row()
    {
        await TamperAsync(platform.Db1, "UPDATE audit_log SET details = CONCAT(details, ' ') WHERE seq = 2 ORDER BY chain LIMIT 1");
        var editedChain = (await QueryAsync(platform.Db1, "SELECT chain, action FROM audit_log WHERE seq = 2 AND details LIKE '% ' LIMIT 1")).Single().Item1;
        await TamperAsync(platform.Db2, "DELETE FROM audit_log WHERE seq = 1 ORDER BY chain LIMIT 1");

        var (status, report) = await VerifyAsync("tamper.auditor");

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(report.GetProperty("intact").GetBoolean(), Is.False);
            var databases = report.GetProperty("databases").EnumerateArray().ToDictionary(d => d.GetProperty("database").GetString()!);
            Assert.That(databases["bank_core"].GetProperty("intact").GetBoolean(), Is.True, "bank_core was left alone");

            Assert.That(databases["DB1"].GetProperty("intact").GetBoolean(), Is.False);
            var edited = databases["DB1"].GetProperty("chains").EnumerateArray().Single(c => c.GetProperty("chain").GetString() == editedChain).GetProperty("first_break");
            Assert.That(edited.GetProperty("seq").GetInt64(), Is.EqualTo(2));
            Assert.That(edited.GetProperty("problem").GetString(), Is.EqualTo("ROW_ALTERED"));

            Assert.That(databases["DB2"].GetProperty("intact").GetBoolean(), Is.False);
            var deleted = databases["DB2"].GetProperty("chains").EnumerateArray().Select(c => c.GetProperty("first_break")).Single(b => b.ValueKind != JsonValueKind.Null);
            Assert.That(deleted.GetProperty("problem").GetString(), Is.EqualTo("ROWS_MISSING"));
        });

        var details = await QueryAsync(platform.Core, "SELECT actor, details FROM audit_log WHERE chain = 'operator' AND actor = 'tamper.auditor'");
        Assert.That(details.Single().Item2, Does.Contain("intact no").And.Contain($"DB1/{editedChain}@2").And.Contain("DB2/"));
    }

    [Test]
    public async Task Only_operators_may_verify()
    {
        using var anonymous = platform.Orchestrator.CreateClient();
        using var channel = platform.Orchestrator.CreateClient();
        channel.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("channel"));

        using var unauthenticated = await anonymous.GetAsync("/api/v1/operator/audit");
        using var forbidden = await channel.GetAsync("/api/v1/operator/audit");

        Assert.Multiple(() =>
        {
            Assert.That(unauthenticated.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(forbidden.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }

    private static long RowsOf(JsonElement database) =>
        database.GetProperty("chains").EnumerateArray().Sum(c => c.GetProperty("rows").GetInt64());

    private async Task<(HttpStatusCode Status, JsonElement Report)> VerifyAsync(string operatorName)
    {
        using var http = platform.Orchestrator.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("operator", operatorName));
        using var response = await http.GetAsync("/api/v1/operator/audit");
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>As someone with the server's administrator rights would tamper: the refusing triggers out of the way first.</summary>
    private static async Task TamperAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; {sql}", connection);
        Assert.That(await command.ExecuteNonQueryAsync(), Is.GreaterThan(0), sql);
    }

    private static async Task<List<(string, string)>> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1)));
        return rows;
    }
}
