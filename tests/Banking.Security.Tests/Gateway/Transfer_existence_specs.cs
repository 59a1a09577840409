using System.Net;
using System.Text.Json;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Security.Tests.Gateway;

/// <summary>Issue 15, item 13: a customer told another customer's transfer (403) from one that does not exist (404).</summary>
public sealed class Transfer_existence_specs
{
    private GatewayHost gateway = null!;

    [OneTimeSetUp]
    public async Task Start() => gateway = await GatewayHost.SharedAsync();

    private static string Reference() => "EXI" + Guid.NewGuid().ToString("N")[..20];

    [Test]
    public async Task Another_customers_transfer_and_an_unknown_one_get_the_same_answer()
    {
        var from = gateway.Responder.AddAccount(Ledger.Debit, 100m, clientNo: "C9202");
        var to = gateway.Responder.AddAccount(Ledger.Credit, 0m, clientNo: "C9203");
        var theirs = Reference();
        using (var channel = gateway.ClientAs(Roles.Channel))
        using (var made = await channel.PostTransfer(new { from_account = from, to_account = to, amount = 10.00m, currency = "CNY", reference = theirs }))
            Assert.That(made.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var unknown = Reference();

        using var customer = gateway.ClientAs(Roles.Customer, "C9201");
        using var foreignAnswer = await customer.GetAsync($"/api/v1/transfer/{theirs}");
        using var unknownAnswer = await customer.GetAsync($"/api/v1/transfer/{unknown}");

        var foreignError = (await foreignAnswer.Json()).GetProperty("error");
        var unknownError = (await unknownAnswer.Json()).GetProperty("error");
        Assert.Multiple(() =>
        {
            Assert.That(foreignAnswer.StatusCode, Is.EqualTo(unknownAnswer.StatusCode));
            Assert.That(foreignError.GetProperty("code").GetString(), Is.EqualTo(unknownError.GetProperty("code").GetString()));
            Assert.That(foreignError.GetProperty("message").GetString()!.Replace(theirs, "ID"),
                Is.EqualTo(unknownError.GetProperty("message").GetString()!.Replace(unknown, "ID")));
            Assert.That(Shape(foreignError.GetProperty("details")).Replace(theirs, "ID"), Is.EqualTo(Shape(unknownError.GetProperty("details")).Replace(unknown, "ID")));
            Assert.That(foreignError.ToString(), Does.Not.Contain(from).And.Not.Contain(to), "nothing of the transfer leaks");
        });
    }

    private static string Shape(JsonElement details) => string.Join(",", details.EnumerateObject().Select(p => $"{p.Name}={p.Value}"));
}
