using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Security.Tests.Gateway;

/// <summary>
/// Issue 15, item 10: <c>$</c> also matches before a trailing newline, so <c>"X\n"</c> was a second, valid reference
/// next to <c>X</c>; and bytes that are not UTF-8, or a lone surrogate, ended in 500 instead of a 400.
/// </summary>
public sealed class Input_validation_specs
{
    private GatewayHost gateway = null!;
    private HttpClient channel = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        gateway = await GatewayHost.SharedAsync();
        channel = gateway.ClientAs(Roles.Channel);
    }

    [OneTimeTearDown]
    public void Stop() => channel.Dispose();

    private static string Reference() => "VAL" + Guid.NewGuid().ToString("N")[..20];

    [Test]
    public async Task A_reference_with_a_trailing_newline_is_refused_and_makes_no_second_transfer()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = Reference();
        using (var first = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 100.00m, currency = "CNY", reference }))
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using var second = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 100.00m, currency = "CNY", reference = reference + "\n" });

        var error = await second.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("reference"));
            Assert.That(gateway.Responder.RequestsSeen(reference + "\n"), Is.Zero, "nothing was published for the look-alike");
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(900m), "debited once");
            Assert.That(gateway.Responder.BalanceOf(to), Is.EqualTo(100m));
        });
    }

    [TestCase("from_account")]
    [TestCase("to_account")]
    public async Task An_account_number_with_a_trailing_newline_is_refused(string field)
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = Reference();
        using var response = await channel.PostTransfer(new
        {
            from_account = field == "from_account" ? from + "\n" : from,
            to_account = field == "to_account" ? to + "\n" : to,
            amount = 1.00m, currency = "CNY", reference,
        });

        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo(field));
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.Zero);
        Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(1_000m));
    }

    [Test]
    public async Task A_currency_with_a_trailing_newline_is_refused()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = Reference();
        using var response = await channel.PostJson("/api/v1/transfer",
            $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":1.00,"currency":"CNY\n","reference":"{{reference}}"}""");

        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("currency"));
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.Zero);
    }

    [Test]
    public async Task Path_values_with_a_trailing_newline_are_400()
    {
        var account = gateway.Responder.AddAccount(Ledger.Debit, 1m);
        using (var balance = await channel.GetAsync($"/api/v1/account/{account}%0A/balance"))
            await balance.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        using (var status = await channel.GetAsync($"/api/v1/transfer/{Reference()}%0A"))
            await status.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    public static IEnumerable<TestCaseData> BytesThatAreNotUtf8 =>
    [
        new TestCaseData(new byte[] { 0xC3, 0x28 }).SetName("A_truncated_two_byte_sequence_in_a_string_is_400_VALIDATION_ERROR"),
        new TestCaseData(new byte[] { 0xFF }).SetName("A_byte_that_never_occurs_in_UTF8_is_400_VALIDATION_ERROR"),
        new TestCaseData(new byte[] { 0xED, 0xA0, 0x80 }).SetName("An_encoded_surrogate_is_400_VALIDATION_ERROR"),
        new TestCaseData(new byte[] { 0xC0, 0xAF }).SetName("An_overlong_encoding_is_400_VALIDATION_ERROR"),
    ];

    [TestCaseSource(nameof(BytesThatAreNotUtf8))]
    public async Task Invalid_UTF8_in_the_body(byte[] invalid)
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = Reference();
        var before = Encoding.UTF8.GetBytes($$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":1.00,"currency":"CNY","reference":"{{reference}}","description":"pay """);
        var after = Encoding.UTF8.GetBytes("\"}");
        var content = new ByteArrayContent([.. before, .. invalid, .. after]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await channel.PostAsync("/api/v1/transfer", content);

        await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.Zero);
        Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(1_000m));
    }

    [TestCase("description", @"\ud800")]
    [TestCase("description", @"tail \udfff")]
    [TestCase("reference", @"\ud83d")]
    public async Task A_lone_surrogate_escape_in_a_string_is_400_VALIDATION_ERROR(string field, string escaped)
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1_000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = Reference();
        var json = field == "reference"
            ? $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":1.00,"currency":"CNY","reference":"{{escaped}}"}"""
            : $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":1.00,"currency":"CNY","reference":"{{reference}}","{{field}}":"{{escaped}}"}""";

        using var response = await channel.PostJson("/api/v1/transfer", json);

        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo(field));
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.Zero);
        Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(1_000m));
    }

    [Test]
    public async Task A_lone_surrogate_in_a_field_name_is_400_VALIDATION_ERROR()
    {
        using var response = await channel.PostJson("/api/v1/transfer", """{"\ud800":"x"}""");
        await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }
}
