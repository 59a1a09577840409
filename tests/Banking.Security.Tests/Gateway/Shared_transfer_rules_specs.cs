using Banking.Contracts;

namespace Banking.Security.Tests.Gateway;

/// <summary>
/// Issue 15, item 10, for the other way in: the saga validates a transfer from an upstream system with the same
/// <see cref="TransferRules"/> the gateway uses, so a trailing newline must fail there too.
/// </summary>
public sealed class Shared_transfer_rules_specs
{
    [TestCase("X\n", "6230399991006371427", "6230399991006371428", "CNY", "reference")]
    [TestCase("X", "6230399991006371427\n", "6230399991006371428", "CNY", "from_account")]
    [TestCase("X", "6230399991006371427", "6230399991006371428\n", "CNY", "to_account")]
    [TestCase("X", "6230399991006371427", "6230399991006371428", "CNY\n", "currency")]
    public void A_trailing_newline_breaks_the_rules_in_every_field(string reference, string from, string to, string currency, string field) =>
        Assert.That(TransferRules.Validate(reference, from, to, 10.00m, currency, null)?.Field, Is.EqualTo(field));

    [Test]
    public void Ids_and_account_numbers_with_a_trailing_newline_are_not_valid()
    {
        Assert.That(TransferRules.IsValidTransferId("TXN0001\n"), Is.False);
        Assert.That(TransferRules.IsValidAccountNo("1234\n"), Is.False);
        Assert.That(TransferRules.IsValidTransferId("TXN0001"), Is.True);
        Assert.That(TransferRules.IsValidAccountNo("1234"), Is.True);
    }
}
