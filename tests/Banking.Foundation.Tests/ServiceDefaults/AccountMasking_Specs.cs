using System.Security.Claims;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;

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
    public void Mask_leaves_missing_values_alone(string? value) =>
        Assert.That(AccountMasking.Mask(value), Is.EqualTo(value));

    // Issue 15, item 14 changed this: account numbers run from 1 to 32 digits, and a short one used to be shown whole.
    [TestCase("12345678901", "*********01")]
    [TestCase("12345678", "******78")]
    [TestCase("1234", "***4")]
    [TestCase("123", "***")]
    [TestCase("7", "*")]
    public void Mask_never_shows_a_short_account_number_whole(string accountNo, string masked) =>
        Assert.That(AccountMasking.Mask(accountNo), Is.EqualTo(masked));

    [Test]
    public void Mask_keeps_the_first_and_last_four_of_a_32_digit_number() =>
        Assert.That(AccountMasking.Mask("12345678901234567890123456789012"), Is.EqualTo("1234" + new string('*', 24) + "9012"));

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
    [TestCase("reference 123456789012345678901234567890123")]
    public void MaskAll_leaves_short_and_overlong_digit_runs_alone(string text) =>
        Assert.That(AccountMasking.MaskAll(text), Is.EqualTo(text));

    // Issue 15, item 14 changed this from 12-19: a 23-digit run was left whole, though account numbers reach 32 digits.
    [TestCase("account 12345678901234567890123 debited", "account 1234***************0123 debited")]
    [TestCase("account 12345678901234567890123456789012.", "account 1234************************9012.")]
    public void MaskAll_masks_runs_up_to_the_longest_account_number(string text, string masked) =>
        Assert.That(AccountMasking.MaskAll(text), Is.EqualTo(masked));

    [TestCase(Roles.Customer, true)]
    [TestCase(Roles.Channel, true)]
    [TestCase(Roles.Operator, true)]
    [TestCase(Roles.Admin, true)]
    [TestCase(Roles.Auditor, false)]
    [TestCase("teller", false)]
    public void One_rule_says_who_sees_whole_account_numbers(string role, bool full)
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(BankingClaims.Role, role)], "test"));
        Assert.That(AccountMasking.SeesFullAccountNumbers(user), Is.EqualTo(full));
        Assert.That(AccountMasking.For(user, "6230399991006371427"), Is.EqualTo(full ? "6230399991006371427" : "6230***********1427"));
    }

    [TestCase(null)]
    [TestCase("")]
    public void MaskAll_accepts_null_and_empty(string? text) =>
        Assert.That(AccountMasking.MaskAll(text), Is.EqualTo(text));
}
