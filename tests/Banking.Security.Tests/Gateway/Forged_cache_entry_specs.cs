using System.Net;
using System.Text.Json;
using Banking.Gateway;
using Banking.Gateway.Tests.Support;
using Banking.ServiceDefaults.Security;
using Microsoft.Extensions.DependencyInjection;
using static Banking.Gateway.Tests.Support.SagaAndLedgerResponder;

namespace Banking.Security.Tests.Gateway;

/// <summary>
/// Issue 15, item 2: whoever can write to Redis wrote a balance entry naming the attacker's CLIENT_NO for someone
/// else's account, and the gateway took the cache's word for who owns it.
/// </summary>
public sealed class Forged_cache_entry_specs
{
    private const string Attacker = "C9001";
    private const string Victim = "C9002";

    private GatewayHost gateway = null!;

    [OneTimeSetUp]
    public async Task Start() => gateway = await GatewayHost.SharedAsync();

    /// <summary>What the attacker writes: the entry as the gateway stored it before the fix, with the attacker as owner.</summary>
    private async Task ForgeCacheEntry(string accountNo, decimal balance)
    {
        var key = gateway.Services.GetRequiredService<RedisKeys>().Balance(accountNo);
        var forged = JsonSerializer.Serialize(new
        {
            AccountNo = accountNo, Balance = balance, Currency = "CNY", Status = "A", ClientNo = Attacker, LastUpdatedUtc = DateTime.UtcNow,
        });
        await gateway.Redis.GetDatabase().StringSetAsync(key, forged, TimeSpan.FromMinutes(5));
    }

    [Test]
    public async Task A_forged_cache_entry_does_not_open_another_customers_balance()
    {
        var victims = gateway.Responder.AddAccount(Ledger.Debit, 5_000m, clientNo: Victim);
        await ForgeCacheEntry(victims, 5_000m);

        using var attacker = gateway.ClientAs(Roles.Customer, Attacker);
        using var response = await attacker.GetAsync($"/api/v1/account/{victims}/balance");

        var body = await response.Content.ReadAsStringAsync();
        await response.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.That(body, Does.Not.Contain("5000"), "no balance of the victim in the refusal");
    }

    [Test]
    public async Task A_forged_cache_entry_does_not_let_a_customer_move_money_out_of_another_customers_account()
    {
        var victims = gateway.Responder.AddAccount(Ledger.Debit, 5_000m, clientNo: Victim);
        var attackers = gateway.Responder.AddAccount(Ledger.Credit, 0m, clientNo: Attacker);
        await ForgeCacheEntry(victims, 5_000m);

        using var attacker = gateway.ClientAs(Roles.Customer, Attacker);
        var reference = "ATK" + Guid.NewGuid().ToString("N")[..20];
        using var response = await attacker.PostTransfer(new { from_account = victims, to_account = attackers, amount = 4_000.00m, currency = "CNY", reference });

        await response.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.Multiple(() =>
        {
            Assert.That(gateway.Responder.RequestsSeen(reference), Is.Zero, "nothing was published");
            Assert.That(gateway.Responder.BalanceOf(victims), Is.EqualTo(5_000m));
            Assert.That(gateway.Responder.BalanceOf(attackers), Is.EqualTo(0m));
        });
    }

    [Test]
    public async Task An_entry_copied_from_the_attackers_own_account_does_not_open_another_account()
    {
        // A genuine entry (whatever protects it) moved under another account's key must not vouch for that account.
        var own = gateway.Responder.AddAccount(Ledger.Debit, 10m, clientNo: Attacker);
        var victims = gateway.Responder.AddAccount(Ledger.Debit, 5_000m, clientNo: Victim);
        using var attacker = gateway.ClientAs(Roles.Customer, Attacker);
        using (var ownRead = await attacker.GetAsync($"/api/v1/account/{own}/balance"))
            Assert.That(ownRead.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var keys = gateway.Services.GetRequiredService<RedisKeys>();
        var db = gateway.Redis.GetDatabase();
        var genuine = await db.StringGetAsync(keys.Balance(own));
        Assert.That(genuine.HasValue, "the own balance was cached");
        await db.StringSetAsync(keys.Balance(victims), genuine, TimeSpan.FromMinutes(5));

        using var response = await attacker.GetAsync($"/api/v1/account/{victims}/balance");
        await response.Error(HttpStatusCode.Forbidden, "FORBIDDEN");
    }
}
