using Banking.ServiceDefaults;

namespace Banking.Foundation.Tests.ServiceDefaults;

public class AccountMasking_Specs
{
    [TestCase("6230399991006371427", "6230***********1427")]
    [TestCase("6222021234567890", "6222********7890")]
    [TestCase("123456789012", "1234****9012")]
    public void Mask_keeps_the_first_and_last_four_digits(string accountNo, string masked) =>
        Assert.That(AccountMasking.Mask(accountNo), Is.EqualTo(masked));

    [TestCase(null)]
    [TestCase("")]
    [TestCase("12345678901")]
    public void Mask_leaves_short_or_missing_values_alone(string? value) =>
        Assert.That(AccountMasking.Mask(value), Is.EqualTo(value));

    [Test]
    public void MaskAll_masks_an_account_number_inside_a_sentence() =>
        Assert.That(AccountMasking.MaskAll("debit 6230399991006371427 by 100.00 CNY"),
            Is.EqualTo("debit 6230***********1427 by 100.00 CNY"));

    [Test]
    public void MaskAll_masks_numbers_in_json_strings_and_numbers() =>
        Assert.That(AccountMasking.MaskAll("""{"from":"6230399991006371427","to":6222021234567890,"amount":100}"""),
            Is.EqualTo("""{"from":"6230***********1427","to":6222********7890,"amount":100}"""));

    [Test]
    public void MaskAll_masks_every_number_in_the_text() =>
        Assert.That(AccountMasking.MaskAll("6230399991006371427->6222021234567890 (was 123456789012)"),
            Is.EqualTo("6230***********1427->6222********7890 (was 1234****9012)"));

    [TestCase("4bf92f3577b34da6a3ce929d0e0e4736")]
    [TestCase("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [TestCase("trace 0af7651916cd43dd8448eb211c803190 span 00f067aa0ba902b7")]
    [TestCase("transfer 3f2504e0-4f89-11d3-9a0c-030583416789 correlated")]
    [TestCase("traceparent 00-0af7651916cd43dd8448eb211c80319c-1234567890123456-01")]
    [TestCase("a123456789012345678")]
    [TestCase("1234567890123456789z")]
    public void MaskAll_leaves_hex_ids_guids_and_digits_inside_longer_tokens_alone(string text) =>
        Assert.That(AccountMasking.MaskAll(text), Is.EqualTo(text));

    [TestCase("amount 12345678901 CNY")]
    [TestCase("at 2025-01-31T10:15:30.1234567Z")]
    [TestCase("reference 12345678901234567890123")]
    public void MaskAll_leaves_short_and_overlong_digit_runs_alone(string text) =>
        Assert.That(AccountMasking.MaskAll(text), Is.EqualTo(text));

    [TestCase(null)]
    [TestCase("")]
    public void MaskAll_accepts_null_and_empty(string? text) =>
        Assert.That(AccountMasking.MaskAll(text), Is.EqualTo(text));
}
