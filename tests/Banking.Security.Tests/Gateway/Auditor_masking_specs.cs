using System.Net;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults;
using Banking.ServiceDefaults.Security;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Security.Tests.Gateway;

/// <summary>
/// Issue 15, item 14: auditors saw account numbers masked on the dashboard but whole through the gateway. One rule
/// (<see cref="AccountMasking.SeesFullAccountNumbers"/>) now decides for both.
/// </summary>
public sealed class Auditor_masking_specs
{
    private GatewayHost gateway = null!;
    private string from = null!;
    private string to = null!;
    private string reference = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        gateway = await GatewayHost.SharedAsync();
        from = gateway.Responder.AddAccount(Ledger.Debit, 100m, clientNo: "C9401");
        to = gateway.Responder.AddAccount(Ledger.Credit, 0m, clientNo: "C9402");
        reference = "MSK" + Guid.NewGuid().ToString("N")[..20];
        using var channel = gateway.ClientAs(Roles.Channel);
        using var made = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10.00m, currency = "CNY", reference });
        Assert.That(made.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task An_auditor_reads_a_balance_with_the_account_number_masked()
    {
        using var auditor = gateway.ClientAs(Roles.Auditor);
        using var response = await auditor.GetAsync($"/api/v1/account/{from}/balance");
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("account_no").GetString(), Is.EqualTo(AccountMasking.Mask(from)).And.Not.EqualTo(from));
        Assert.That(body.ToString(), Does.Not.Contain(from));
    }

    [Test]
    public async Task An_auditor_reads_a_transfer_with_both_account_numbers_masked()
    {
        using var auditor = gateway.ClientAs(Roles.Auditor);
        using var response = await auditor.GetAsync($"/api/v1/transfer/{reference}");
        var body = await response.Json();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("from_account").GetString(), Is.EqualTo(AccountMasking.Mask(from)));
            Assert.That(body.GetProperty("to_account").GetString(), Is.EqualTo(AccountMasking.Mask(to)));
            Assert.That(body.ToString(), Does.Not.Contain(from).And.Not.Contain(to));
        });
    }

    [Test]
    public async Task An_auditor_asking_for_an_unknown_account_does_not_get_the_number_echoed_whole()
    {
        var unknown = NewAccountNo();
        using var auditor = gateway.ClientAs(Roles.Auditor);
        using var response = await auditor.GetAsync($"/api/v1/account/{unknown}/balance");
        await response.Error(HttpStatusCode.NotFound, "ACCOUNT_NOT_FOUND");
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain(unknown));
    }

    [TestCase(Roles.Operator)]
    [TestCase(Roles.Admin)]
    [TestCase(Roles.Channel)]
    public async Task Operators_admins_and_channels_still_see_whole_numbers(string role)
    {
        using var client = gateway.ClientAs(role);
        using var response = await client.GetAsync($"/api/v1/transfer/{reference}");
        var body = await response.Json();
        Assert.That(body.GetProperty("from_account").GetString(), Is.EqualTo(from));
        Assert.That(body.GetProperty("to_account").GetString(), Is.EqualTo(to));
    }
}
