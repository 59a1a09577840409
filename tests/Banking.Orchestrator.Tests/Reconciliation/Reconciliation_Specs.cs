using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Banking.ServiceDefaults;
using Banking.Testing;
using MySqlConnector;

namespace Banking.Orchestrator.Tests.Reconciliation;

/// <summary>
/// Issue 17, point 2: reconciliation on the real servers. Real transfers first, and the day reconciles clean; then
/// each kind of mismatch is planted by editing ledger rows behind the platform's back with the administrator's
/// connection, and the end-of-day report (operator API and <c>reconcile</c> command) names each one, with its
/// transfer, while the continuous check's gauge shows the money made out of nothing.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Reconciliation_Specs
{
    private TransferPlatform platform = null!;
    private static long nextKey = 60_000;
    private string today = "";
    private string source = "", secondSource = "", poor = "", destination = "", frozen = "";
    private readonly Dictionary<string, string> ids = [];

    [OneTimeSetUp]
    public async Task RunADayOfTransfers()
    {
        platform = await TransferPlatform.StartAsync("recon", new Dictionary<string, string> { ["Reconciliation__Interval"] = "00:00:01" });
        source = await NewAccountAsync(1, 10_000.00m);
        secondSource = await NewAccountAsync(1, 1_000.00m);
        poor = await NewAccountAsync(1, 1.00m);
        destination = await NewAccountAsync(2, 500.00m);
        frozen = await NewAccountAsync(2, 0.00m, status: "F");

        foreach (var (name, from, to, amount) in new[]
        {
            ("s1", source, destination, 100.00m), ("s2", source, destination, 200.00m), ("s3", source, destination, 300.00m),
            ("s4", secondSource, destination, 50.00m), ("r1", source, frozen, 70.00m), ("r2", source, frozen, 80.00m),
            ("f1", poor, destination, 500.00m),
        })
        {
            ids[name] = $"{name}-{Guid.NewGuid():N}";
            await platform.SubmitAsync(ids[name], from, to, amount);
        }

        foreach (var (name, id) in ids)
        {
            var transfer = await platform.WaitForFinalAsync(id);
            Assert.That(transfer.Status, Is.EqualTo(name[0] switch { 's' => "SUCCESS", 'r' => "ROLLBACK", _ => "FAILED" }), name);
        }

        // The bank's business date of these transfers (Bank:BusinessTimeZone's default).
        today = new BusinessCalendar("Asia/Shanghai").DateOf(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    [OneTimeTearDown]
    public async Task Stop() => await platform.DisposeAsync();

    private async Task<string> NewAccountAsync(int database, decimal balance, string status = "A")
    {
        var key = Interlocked.Increment(ref nextKey);
        var accountNo = $"66{database}{key:D10}";
        await platform.CreateAccountAsync(database, key, accountNo, balance, status);
        return accountNo;
    }

    [Test]
    [Order(1)]
    public async Task A_day_of_real_transfers_reconciles_clean()
    {
        var (status, report) = await ReportAsync(today);
        var (exitCode, _, error) = await platform.Orchestrator.RunCommandAsync(["reconcile", "--date", today]);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(report.GetProperty("mismatches").GetArrayLength(), Is.Zero, report.ToString());
            Assert.That(report.GetProperty("clean").GetBoolean(), Is.True);
            Assert.That(report.GetProperty("transfers").GetProperty("success").GetInt32(), Is.EqualTo(4));
            Assert.That(report.GetProperty("transfers").GetProperty("rollback").GetInt32(), Is.EqualTo(2));
            Assert.That(report.GetProperty("transfers").GetProperty("failed").GetInt32(), Is.EqualTo(1));
            var sourceDay = report.GetProperty("accounts").EnumerateArray().Single(a => a.GetProperty("account").GetString() == AccountMasking.Mask(source));
            Assert.That(sourceDay.GetProperty("opening").GetDecimal() + sourceDay.GetProperty("credits").GetDecimal() - sourceDay.GetProperty("debits").GetDecimal(),
                Is.EqualTo(sourceDay.GetProperty("closing").GetDecimal()).And.EqualTo(10_000.00m - 600.00m));
            Assert.That(exitCode, Is.EqualTo(0), error);
        });
        Assert.That(await DifferenceAsync(d => d is not null), Is.EqualTo(0d), "the continuous check");
    }

    [Test]
    [Order(2)]
    public async Task Each_kind_of_mismatch_planted_behind_the_platforms_back_is_named_with_its_transfer()
    {
        var ghost = $"ghost-{Guid.NewGuid():N}";
        await ExecuteAsync(2, "DELETE FROM rb_tran_hist WHERE REFERENCE = @p AND TRAN_TYPE = 'TRFCR'", ids["s1"]);
        await ExecuteAsync(1, "UPDATE rb_tran_hist SET TRAN_AMT = TRAN_AMT + 1 WHERE REFERENCE = @p AND TRAN_TYPE = 'TRFDR'", ids["s2"]);
        await ExecuteAsync(1, "DELETE FROM rb_tran_hist WHERE REFERENCE = @p AND TRAN_TYPE = 'REVCR'", ids["r1"]);
        await InsertHistoryAsync(1, poor, "TRFDR", "D", 500.00m, ids["f1"]);
        await InsertHistoryAsync(2, destination, "TRFCR", "C", 25.00m, ghost);
        await ExecuteAsync(1, "UPDATE rb_acct_balance b JOIN rb_acct a ON a.INTERNAL_KEY = b.INTERNAL_KEY SET b.TOTAL_AMOUNT = b.TOTAL_AMOUNT + 0.01 WHERE a.BASE_ACCT_NO = @p", secondSource);

        var (status, report) = await ReportAsync(today);
        var named = report.GetProperty("mismatches").EnumerateArray()
            .Select(m => (Code: m.GetProperty("code").GetString(), TransferId: m.GetProperty("transfer_id").GetString(), Account: m.GetProperty("account").GetString()))
            .ToList();
        var (exitCode, csv, _) = await platform.Orchestrator.RunCommandAsync(["reconcile", "--date", today, "--format", "csv"]);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(report.GetProperty("clean").GetBoolean(), Is.False);
            Assert.That(named, Has.Some.Matches<(string? Code, string? TransferId, string? Account)>(m => m.Code == "SUCCESS_WITHOUT_CREDIT" && m.TransferId == ids["s1"]), "credit row deleted");
            Assert.That(named, Has.Some.Matches<(string? Code, string? TransferId, string? Account)>(m => m.Code == "AMOUNT_MISMATCH" && m.TransferId == ids["s2"]), "debit amount edited");
            Assert.That(named, Has.Some.Matches<(string? Code, string? TransferId, string? Account)>(m => m.Code == "ROLLBACK_WITHOUT_REVERSAL" && m.TransferId == ids["r1"]), "reversal row deleted");
            Assert.That(named, Has.Some.Matches<(string? Code, string? TransferId, string? Account)>(m => m.Code == "FAILED_WITH_MOVEMENT" && m.TransferId == ids["f1"]), "debit row added to a failed transfer");
            Assert.That(named, Has.Some.Matches<(string? Code, string? TransferId, string? Account)>(m => m.Code == "ORPHAN_LEDGER_ROW" && m.TransferId == ghost), "row of no transfer");
            Assert.That(named, Has.Some.Matches<(string? Code, string? TransferId, string? Account)>(m => m.Code == "ACCOUNT_BALANCE_BROKEN" && m.Account == AccountMasking.Mask(secondSource)), "balance edited");
            // What was left alone is not accused: s3, s4 and r2 appear only as the last row of a broken account, if at all.
            Assert.That(named.Where(m => m.Code != "ACCOUNT_BALANCE_BROKEN").Select(m => m.TransferId), Has.None.EqualTo(ids["s3"]).And.None.EqualTo(ids["s4"]).And.None.EqualTo(ids["r2"]));
            Assert.That(report.ToString(), Does.Not.Contain(source).And.Not.Contain(secondSource).And.Not.Contain(destination), "full account numbers");
            Assert.That(exitCode, Is.EqualTo(1), csv);
            Assert.That(csv, Does.Contain($"mismatch,{today},SUCCESS_WITHOUT_CREDIT,{ids["s1"]},DB2,"));
            Assert.That(csv, Does.Contain($"mismatch,{today},ORPHAN_LEDGER_ROW,{ghost},DB2,"));
        });
        // Only the edited balance changed money: history rows alone move none.
        Assert.That(await DifferenceAsync(d => d is not null and not 0d), Is.EqualTo(0.01d).Within(1e-9), "the continuous check");
    }

    [Test]
    public async Task A_bad_date_is_a_validation_error_and_the_command_says_how_to_use_it()
    {
        using var http = OperatorClient();
        using var response = await http.GetAsync("/api/v1/operator/reconciliation?date=2026-13-40");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        using var anonymous = platform.Orchestrator.CreateClient();
        using var unauthenticated = await anonymous.GetAsync($"/api/v1/operator/reconciliation?date={today}");
        var (exitCode, _, error) = await platform.Orchestrator.RunCommandAsync(["reconcile", "--date", "03/12/2026"]);
        var (noDate, _, _) = await platform.Orchestrator.RunCommandAsync(["reconcile"]);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body.RootElement.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("VALIDATION_ERROR"));
            Assert.That(body.RootElement.GetProperty("error").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("date"));
            Assert.That(unauthenticated.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(exitCode, Is.EqualTo(2));
            Assert.That(error, Does.Contain("usage: reconcile --date YYYY-MM-DD"));
            Assert.That(noDate, Is.EqualTo(2));
        });
    }

    private HttpClient OperatorClient()
    {
        var http = platform.Orchestrator.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Issue("operator", "reconciling.operator"));
        return http;
    }

    private async Task<(HttpStatusCode Status, JsonElement Report)> ReportAsync(string date)
    {
        using var http = OperatorClient();
        using var response = await http.GetAsync($"/api/v1/operator/reconciliation?date={date}");
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The orchestrator's banking_reconciliation_difference{currency="CNY"}, once it satisfies <paramref name="until"/>.</summary>
    private async Task<double?> DifferenceAsync(Func<double?, bool> until)
    {
        using var http = platform.Orchestrator.CreateClient();
        double? value = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var metrics = await http.GetStringAsync("/metrics");
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("banking_reconciliation_difference{", StringComparison.Ordinal) && l.Contains("currency=\"CNY\"", StringComparison.Ordinal));
            value = line is null ? null : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            if (until(value)) return value;
            await Task.Delay(250);
        }

        return value;
    }

    private async Task ExecuteAsync(int database, string sql, string parameter)
    {
        await using var connection = new MySqlConnection(platform.LedgerOf(database));
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddWithValue("@p", parameter);
        Assert.That(await command.ExecuteNonQueryAsync(), Is.EqualTo(1), sql);
    }

    private async Task InsertHistoryAsync(int database, string accountNo, string type, string indicator, decimal amount, string reference)
    {
        await using var connection = new MySqlConnection(platform.LedgerOf(database));
        await connection.OpenAsync();
        await using var command = new MySqlCommand("""
            INSERT INTO rb_tran_hist (SEQ_NO, INTERNAL_KEY, CLIENT_NO, BASE_ACCT_NO, TRAN_TYPE, TRAN_AMT, PREVIOUS_BAL_AMT, ACTUAL_BAL, CR_DR_IND, TRAN_DATE, REFERENCE, NARRATIVE)
            SELECT @seq, a.INTERNAL_KEY, a.CLIENT_NO, a.BASE_ACCT_NO, @type, @amount, b.TOTAL_AMOUNT, b.TOTAL_AMOUNT, @indicator, UTC_TIMESTAMP(), @reference, 'planted by the reconciliation spec'
            FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY WHERE a.BASE_ACCT_NO = @account
            """, connection);
        command.Parameters.AddWithValue("@seq", Guid.NewGuid().ToString("N"));
        command.Parameters.AddWithValue("@type", type);
        command.Parameters.AddWithValue("@amount", amount);
        command.Parameters.AddWithValue("@indicator", indicator);
        command.Parameters.AddWithValue("@reference", reference);
        command.Parameters.AddWithValue("@account", accountNo);
        Assert.That(await command.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }
}
