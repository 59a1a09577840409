using System.Diagnostics;
using Banking.ServiceDefaults;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Parsing;

namespace Banking.Foundation.Tests.ServiceDefaults;

public class MaskingFormatter_Specs
{
    [Test]
    public void A_span_id_that_happens_to_be_all_digits_is_not_masked()
    {
        var spanId = ActivitySpanId.CreateFromString("1234567890123456");
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null,
            new MessageTemplateParser().Parse("Debiting {AccountNo}"),
            [new LogEventProperty("AccountNo", new ScalarValue("6222021234567890"))],
            ActivityTraceId.CreateRandom(), spanId);
        using var output = new StringWriter();

        new MaskingFormatter(new RenderedCompactJsonFormatter()).Format(logEvent, output);

        Assert.That(output.ToString(), Does.Contain("\"@sp\":\"1234567890123456\"").And.Contain("6222********7890").And.Not.Contain("6222021234567890"));
    }

    [TestCase("Token", true)]
    [TestCase("accessToken", true)]
    [TestCase("refresh_token", true)]
    [TestCase("Password", true)]
    [TestCase("ClientSecret", true)]
    [TestCase("ApiKey", true)]
    [TestCase("x-api-key", true)]
    [TestCase("Authorization", true)]
    [TestCase("AccountNo", false)]
    [TestCase("TransferId", false)]
    public void Secrets_are_recognised_by_their_property_name(string name, bool secret) =>
        Assert.That(MaskingFormatter.IsSecretName(name), Is.EqualTo(secret));
    [TestCase("AccountNo", "4711", "***1")]
    [TestCase("FromAccount", "12345678", "******78")]
    [TestCase("to_account", "987654", "*****4")]
    [TestCase("DestinationAccountNumber", "123456789", "*******89")]
    public void A_property_named_as_an_account_number_is_masked_whatever_its_length(string name, string accountNo, string masked)
    {
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null,
            new MessageTemplateParser().Parse($"Debiting {{{name}}} by {{Amount}}"),
            [new LogEventProperty(name, new ScalarValue(accountNo)), new LogEventProperty("Amount", new ScalarValue(4711))],
            ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());
        using var output = new StringWriter();

        new MaskingFormatter(new RenderedCompactJsonFormatter()).Format(logEvent, output);

        Assert.That(output.ToString(), Does.Contain($"Debiting \\\"{masked}\\\" by 4711").And.Contain($"\"{name}\":\"{masked}\""),
            "masked in the property and in the rendered message; an amount is not an account number");
    }

    [Test]
    public void A_short_account_number_inside_a_structure_is_masked_by_its_name()
    {
        var transfer = new StructureValue([new LogEventProperty("FromAccount", new ScalarValue("55501")), new LogEventProperty("Ledger", new ScalarValue("DB1"))]);
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null,
            new MessageTemplateParser().Parse("{@Transfer}"), [new LogEventProperty("Transfer", transfer)]);
        using var output = new StringWriter();

        new MaskingFormatter(new RenderedCompactJsonFormatter()).Format(logEvent, output);

        Assert.That(output.ToString(), Does.Contain("****1").And.Not.Contain("55501").And.Contain("DB1"));
    }

    [TestCase("AccountNo", true)]
    [TestCase("from_account", true)]
    [TestCase("ToAccount", true)]
    [TestCase("AccountCount", false)]
    [TestCase("Amount", false)]
    public void Account_numbers_are_recognised_by_their_property_name(string name, bool accountNumber) =>
        Assert.That(MaskingFormatter.IsAccountNumberName(name), Is.EqualTo(accountNumber));
}
