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
}
