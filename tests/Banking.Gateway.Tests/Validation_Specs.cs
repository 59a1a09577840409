using System.Net;
using System.Text;
using System.Text.Json;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Gateway.Tests;

/// <summary>
/// Every way a transfer request can be malformed gets 400 VALIDATION_ERROR naming the field, and is refused
/// before anything is claimed or published. The accounts in the bodies need not exist: validation comes first.
/// </summary>
public sealed class Validation_Specs
{
    private const string From = "6230399991006371427";
    private const string To = "6230399991006371428";

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

    private static string Reference() => "V" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>The seed's sample body with one field replaced (or removed when the value is <see cref="Missing"/>).</summary>
    private static string Body(string field, object? value)
    {
        var body = new Dictionary<string, object?>
        {
            ["from_account"] = From,
            ["to_account"] = To,
            ["amount"] = 1000.00m,
            ["currency"] = "CNY",
            ["description"] = "Transfer payment",
            ["reference"] = Reference(),
        };
        if (value is Missing) body.Remove(field);
        else body[field] = value is RawJson raw ? JsonDocument.Parse(raw.Json).RootElement : value;
        return JsonSerializer.Serialize(body);
    }

    private sealed record Missing
    {
        public static readonly Missing Field = new();
        public override string ToString() => "(missing)";
    }

    /// <summary>A JSON number written exactly as given (1.001, 1e-3), which a decimal would normalise.</summary>
    private sealed record RawJson(string Json)
    {
        public override string ToString() => Json;
    }

    private async Task<JsonElement> ExpectValidationError(string json, string field)
    {
        using var response = await channel.PostJson("/api/v1/transfer", json);
        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo(field), error.ToString());
        Assert.That(error.GetProperty("message").GetString(), Does.StartWith(field), "the message names the field too");
        return error;
    }

    // ---- the body as a whole ----

    [TestCase("", TestName = "An empty body is 400")]
    [TestCase("""{"from_account":"6230399991006371427","amount":""", TestName = "Malformed JSON is 400")]
    [TestCase("""{"from_account":"6230399991006371427",}""", TestName = "A trailing comma is 400")]
    [TestCase("""{"from_account":"6230399991006371427" /* c */}""", TestName = "A comment is 400")]
    [TestCase("""[{"from_account":"6230399991006371427"}]""", TestName = "An array instead of an object is 400")]
    [TestCase("null", TestName = "A null body is 400")]
    [TestCase("not json at all", TestName = "Plain text is 400")]
    public async Task A_body_that_is_not_a_JSON_object_is_400_naming_the_body(string json)
    {
        await ExpectValidationError(json, "body");
    }

    [Test]
    public async Task An_unknown_field_is_400_naming_it()
    {
        var json = Body("amount", 10m).TrimEnd('}') + ""","amount_cents":1000}""";
        await ExpectValidationError(json, "amount_cents");
    }

    [Test]
    public async Task A_field_given_twice_is_400_naming_it()
    {
        var json = Body("amount", 10m).TrimEnd('}') + ""","amount":1000000}""";
        await ExpectValidationError(json, "amount");
    }

    // ---- missing fields and wrong types ----

    [TestCase("from_account")]
    [TestCase("to_account")]
    [TestCase("amount")]
    [TestCase("currency")]
    public async Task A_missing_required_field_is_400_naming_it(string field)
    {
        var error = await ExpectValidationError(Body(field, Missing.Field), field);
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo($"{field} is required"));
    }

    [TestCase("from_account")]
    [TestCase("to_account")]
    [TestCase("amount")]
    [TestCase("currency")]
    public async Task A_required_field_that_is_null_is_400_naming_it(string field)
    {
        await ExpectValidationError(Body(field, null), field);
    }

    [TestCase("amount", "abc", TestName = "amount as the string abc is 400")]
    [TestCase("amount", "1000.00", TestName = "amount as a numeric string is 400 (a JSON number is required)")]
    [TestCase("amount", true, TestName = "amount as a boolean is 400")]
    [TestCase("currency", 156, TestName = "currency as a number is 400")]
    [TestCase("description", 42, TestName = "description as a number is 400")]
    [TestCase("reference", 2025010700, TestName = "reference as a number is 400")]
    public async Task A_field_of_the_wrong_JSON_type_is_400_naming_it(string field, object value)
    {
        await ExpectValidationError(Body(field, value), field);
    }

    // Account numbers are 19+ digit strings: as JSON numbers they lose digits in every client that parses into a double,
    // so the reader refuses numbers rather than guessing what the caller meant.
    [TestCase("from_account")]
    [TestCase("to_account")]
    public async Task An_account_number_sent_as_a_JSON_number_is_400(string field)
    {
        var error = await ExpectValidationError(Body(field, new RawJson("6230399991006371427")), field);
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("must be a string"));
    }

    // ---- amount ----

    [TestCase("0", TestName = "An amount of 0 is 400")]
    [TestCase("0.00", TestName = "An amount of 0.00 is 400")]
    [TestCase("-0", TestName = "An amount of -0 is 400")]
    [TestCase("-5.00", TestName = "A negative amount is 400")]
    [TestCase("1.001", TestName = "An amount with 3 decimals is 400")]
    [TestCase("0.005", TestName = "An amount below a cent is 400")]
    [TestCase("1e-3", TestName = "An amount with 3 decimals written with an exponent is 400")]
    [TestCase("1.000000000000000000000000000001", TestName = "An amount with more decimals than a decimal holds is 400, not rounded")]
    [TestCase("1e30", TestName = "An amount beyond any decimal is 400")]
    [TestCase("1000000000000000000000.00", TestName = "An amount beyond DECIMAL(20,2) is 400")]
    public async Task An_amount_that_is_not_a_positive_number_of_cents_is_400(string amount)
    {
        await ExpectValidationError(Body("amount", new RawJson(amount)), "amount");
    }

    [Test]
    public async Task An_amount_above_the_per_transfer_limit_is_422_LIMIT_EXCEEDED()
    {
        // GatewayHost configures Gateway:MaxTransferAmount = 50000.00. Like the ledger's own limit (which the saga
        // reports as 422 LIMIT_EXCEEDED), this is a business rule, not a malformed request.
        using var response = await channel.PostJson("/api/v1/transfer", Body("amount", 50000.01m));
        var error = await response.Error(HttpStatusCode.UnprocessableEntity, "LIMIT_EXCEEDED");
        var details = error.GetProperty("details");
        Assert.Multiple(() =>
        {
            Assert.That(details.GetProperty("field").GetString(), Is.EqualTo("amount"));
            Assert.That(details.Raw("limit"), Is.EqualTo("50000.00"));
            Assert.That(details.Raw("requested_amount"), Is.EqualTo("50000.01"));
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("50000.00"));
        });
    }

    // ---- currency ----

    [TestCase("JPY", TestName = "A currency the platform does not serve is 400")]
    [TestCase("cny", TestName = "A lower-case currency is 400")]
    [TestCase("CN", TestName = "A 2-letter currency is 400")]
    [TestCase("CNYY", TestName = "A 4-letter currency is 400")]
    [TestCase("", TestName = "An empty currency is 400")]
    [TestCase("156", TestName = "A numeric ISO 4217 code is 400")]
    public async Task A_currency_that_is_not_served_is_400(string currency)
    {
        await ExpectValidationError(Body("currency", currency), "currency");
    }

    [Test]
    public async Task The_served_currencies_are_listed_when_one_is_refused()
    {
        var error = await ExpectValidationError(Body("currency", "JPY"), "currency");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("CNY, USD, EUR, HKD"));
    }

    // ---- accounts ----

    [Test]
    public async Task The_same_account_on_both_sides_is_400_naming_to_account()
    {
        var json = JsonSerializer.Serialize(new { from_account = From, to_account = From, amount = 10m, currency = "CNY" });
        var error = await ExpectValidationError(json, "to_account");
        Assert.That(error.GetProperty("message").GetString(), Does.Contain("differ"));
    }

    [TestCase("from_account", "62303999910063714A7", TestName = "A from_account with a letter is 400")]
    [TestCase("from_account", "6230 3999 9100 6371", TestName = "A from_account with spaces is 400")]
    [TestCase("from_account", "-6230399991006371427", TestName = "A from_account with a sign is 400")]
    [TestCase("from_account", "", TestName = "An empty from_account is 400")]
    [TestCase("from_account", "623039999100637142712345678901234", TestName = "A from_account of 33 digits is 400")]
    [TestCase("from_account", "６２３０", TestName = "A from_account of full-width digits is 400")]
    [TestCase("to_account", "6230399991006371428x", TestName = "A to_account with a letter is 400")]
    [TestCase("to_account", "623039999100637142812345678901234", TestName = "A to_account of 33 digits is 400")]
    public async Task An_account_number_that_is_not_1_to_32_digits_is_400(string field, string accountNo)
    {
        await ExpectValidationError(Body(field, accountNo), field);
    }

    // ---- description and reference ----

    [Test]
    public async Task A_description_over_500_characters_is_400()
    {
        await ExpectValidationError(Body("description", new string('d', 501)), "description");
    }

    [TestCase(51, TestName = "A reference of 51 characters is 400")]
    public async Task A_reference_over_50_characters_is_400(int length)
    {
        await ExpectValidationError(Body("reference", new string('R', length)), "reference");
    }

    [TestCase("TXN 001", TestName = "A reference with a space is 400")]
    [TestCase("TXN.001", TestName = "A reference with a dot is 400")]
    [TestCase("TXN/001", TestName = "A reference with a slash is 400")]
    [TestCase("TXN%2F001", TestName = "A reference with a percent sign is 400")]
    [TestCase("TXNé001", TestName = "A reference with a non-ASCII letter is 400")]
    [TestCase("", TestName = "An empty reference is 400")]
    public async Task A_reference_outside_A_to_Z_digits_underscore_and_hyphen_is_400(string reference)
    {
        await ExpectValidationError(Body("reference", reference), "reference");
    }

    [Test]
    public async Task The_longest_allowed_fields_and_trailing_zeros_are_accepted()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 60000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = "Az09_-" + Guid.NewGuid().ToString("N") + "xxxxxxxxxxxx"; // 50 characters
        Assert.That(reference, Has.Length.EqualTo(50));

        var json = $$"""
            {"from_account":"{{from}}","to_account":"{{to}}","amount":50000.000,"currency":"CNY","description":"{{new string('d', 500)}}","reference":"{{reference}}"}
            """;
        using var response = await channel.PostJson("/api/v1/transfer", json);
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("transfer_id").GetString(), Is.EqualTo(reference));
            Assert.That(body.Raw("amount"), Is.EqualTo("50000.00"), "exactly the limit, and 50000.000 is two decimals' worth");
            Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(10000m));
        });
    }

    [Test]
    public async Task A_refused_request_publishes_nothing_and_does_not_claim_its_reference()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 1000m);
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m);
        var reference = Reference();

        using var refused = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10.001m, currency = "CNY", reference });
        await refused.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(gateway.Responder.RequestsSeen(reference), Is.EqualTo(0));

        // The corrected request with the same reference is a new request, not a 409 or a replay.
        using var corrected = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10.00m, currency = "CNY", reference });
        Assert.That(corrected.StatusCode, Is.EqualTo(HttpStatusCode.OK), await corrected.Content.ReadAsStringAsync());
        Assert.That(corrected.Headers.Contains(TransferHeaders.IdempotentReplayed), Is.False);
        Assert.That(gateway.Responder.BalanceOf(from), Is.EqualTo(990m));
    }

    // ---- size ----

    [Test]
    public async Task A_body_over_the_size_limit_is_413_PAYLOAD_TOO_LARGE()
    {
        // GatewayHost configures Gateway:MaxBodyBytes = 16384.
        var json = Body("description", new string('d', 17000));
        Assert.That(Encoding.UTF8.GetByteCount(json), Is.GreaterThan(16384));
        using var response = await channel.PostJson("/api/v1/transfer", json);
        var error = await response.Error(HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.That(error.GetProperty("details").GetProperty("max_bytes").GetInt32(), Is.EqualTo(16384));
    }

    [Test]
    public async Task A_chunked_body_over_the_size_limit_is_413_too()
    {
        var bytes = Encoding.UTF8.GetBytes(Body("description", new string('d', 40000)));
        // A stream of unknown length is sent chunked, without Content-Length.
        using var content = new StreamContent(new UnseekableStream(bytes));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await channel.PostAsync("/api/v1/transfer", content);
        await response.Error(HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
    }

    [Test]
    public async Task A_body_just_under_the_size_limit_is_read_and_validated()
    {
        // 16 KB of description is within the byte limit but over the 500 characters: the field, not the size, is reported.
        var json = Body("description", new string('d', 16000));
        Assert.That(Encoding.UTF8.GetByteCount(json), Is.LessThanOrEqualTo(16384));
        await ExpectValidationError(json, "description");
    }

    // ---- path parameters ----

    [TestCase("62303999910063714A7", TestName = "A balance query for an account number with a letter is 400")]
    [TestCase("623039999100637142712345678901234", TestName = "A balance query for an account number of 33 digits is 400")]
    public async Task A_malformed_account_number_in_the_path_is_400(string accountNo)
    {
        using var response = await channel.GetAsync($"/api/v1/account/{accountNo}/balance");
        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("account_no"));
    }

    [Test]
    public async Task A_transfer_id_over_50_characters_in_the_path_is_400()
    {
        using var response = await channel.GetAsync($"/api/v1/transfer/{new string('T', 51)}");
        var error = await response.Error(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("transfer_id"));
    }

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
