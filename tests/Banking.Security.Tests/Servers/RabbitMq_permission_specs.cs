using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Banking.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Banking.Security.Tests.Servers;

/// <summary>
/// Issue 15, item 1: any RabbitMQ login could publish ledger commands (the upstream login was an administrator). Each
/// login now may write only what its party sends; only the orchestrator reaches the ledgers' command queues.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RabbitMq_permission_specs
{
    private SecuredPlatform platform = null!;

    [OneTimeSetUp]
    public async Task StartThePlatform() => platform = await SecuredPlatform.GetAsync();

    // Every way a message reaches a ledger's queue: its exchange, the command's message-type exchange (bound to it),
    // and the default exchange, which delivers to any queue named by the routing key.
    private static readonly (string Exchange, string RoutingKey)[] CreditRoutes =
        [("credit-ledger", ""), ("Banking.Contracts.Ledger:CreditAccount", ""), ("", "credit-ledger")];

    private static readonly (string Exchange, string RoutingKey)[] ReversalRoutes =
        [("debit-ledger", ""), ("Banking.Contracts.Ledger:ReverseDebit", ""), ("", "debit-ledger")];

    private IEnumerable<(string Name, Uri Login)> LoginsThatMustNotCredit =>
        [("upstream", platform.Servers.UpstreamBroker), ("gateway", platform.Servers.GatewayBroker), ("debit-service", platform.Servers.DebitBroker)];

    private IEnumerable<(string Name, Uri Login)> LoginsThatMustNotReverse =>
        [("upstream", platform.Servers.UpstreamBroker), ("gateway", platform.Servers.GatewayBroker), ("credit-service", platform.Servers.CreditBroker)];

    [Test]
    public async Task A_forged_credit_from_any_login_but_the_orchestrators_is_refused_and_credits_nothing()
    {
        var before = await platform.CreditBalanceAsync();
        var refusals = new List<string>();
        foreach (var (name, login) in LoginsThatMustNotCredit)
        {
            foreach (var (exchange, routingKey) in CreditRoutes)
            {
                var envelope = SecuredPlatform.Envelope("CreditAccount", $"FORGED-{Guid.NewGuid():N}", SecuredPlatform.Destination, 500m);
                refusals.Add(await ManagementPublishIsRefusedAsync(login, exchange, routingKey, envelope));
                refusals.Add(await AmqpPublishIsRefusedAsync(login, exchange, routingKey, envelope));
            }
        }

        Assert.That(refusals, Has.All.Empty, string.Join("\n", refusals.Where(r => r.Length > 0)));
        // What a credit would have taken to land if one had got through: the control below lands within this.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.That(await platform.CreditBalanceAsync(), Is.EqualTo(before), "no forged credit landed");

        // The same envelope from the orchestrator's login is a ledger command: proof the refusals above were the
        // permissions, not a malformed message.
        await AmqpPublishAsync(platform.Servers.OrchestratorBroker, "credit-ledger", "",
            SecuredPlatform.Envelope("CreditAccount", $"CONTROL-{Guid.NewGuid():N}", SecuredPlatform.Destination, 1.23m));
        await Eventually.HoldsAsync(async () => await platform.CreditBalanceAsync() == before + 1.23m, "the orchestrator's credit landed");
    }

    [Test]
    public async Task A_forged_reversal_of_a_completed_debit_from_any_login_but_the_orchestrators_is_refused_and_gives_nothing_back()
    {
        var transferId = await CompletedTransferAsync(7.00m);
        var before = await platform.DebitBalanceAsync();
        var refusals = new List<string>();
        foreach (var (name, login) in LoginsThatMustNotReverse)
        {
            foreach (var (exchange, routingKey) in ReversalRoutes)
            {
                var envelope = SecuredPlatform.Envelope("ReverseDebit", transferId, SecuredPlatform.Source, 7.00m);
                refusals.Add(await ManagementPublishIsRefusedAsync(login, exchange, routingKey, envelope));
                refusals.Add(await AmqpPublishIsRefusedAsync(login, exchange, routingKey, envelope));
            }
        }

        Assert.That(refusals, Has.All.Empty, string.Join("\n", refusals.Where(r => r.Length > 0)));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.That(await platform.DebitBalanceAsync(), Is.EqualTo(before), "the completed debit was not given back");

        await AmqpPublishAsync(platform.Servers.OrchestratorBroker, "debit-ledger", "",
            SecuredPlatform.Envelope("ReverseDebit", transferId, SecuredPlatform.Source, 7.00m));
        await Eventually.HoldsAsync(async () => await platform.DebitBalanceAsync() == before + 7.00m, "the orchestrator's reversal landed");
    }

    [Test]
    public async Task The_upstream_login_may_publish_a_transfer_request_but_not_to_the_saga_directly()
    {
        // What the README tells upstream systems to do works...
        using var upstream = platform.Management(platform.Servers.UpstreamBroker);
        var transferId = $"SEC-UP-{Guid.NewGuid():N}"[..30];
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["transfer_id"] = transferId, ["from_account"] = SecuredPlatform.Source, ["to_account"] = SecuredPlatform.Destination,
            ["amount"] = 1.00m, ["currency"] = "CNY", ["description"] = "security spec", ["requested_by"] = "payroll",
        });
        using (var response = await upstream.PostAsJsonAsync($"api/exchanges/{SecuredPlatform.Vhost}/transfer-requests/publish", new
        {
            routing_key = "", payload_encoding = "string", payload = body,
            properties = new { message_id = Guid.NewGuid().ToString(), content_type = "application/json", delivery_mode = 2 },
        }))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"routed\":true"));
        }

        // ...but a forged ledger reply straight to the saga (which would complete a transfer nobody credited) is not.
        var forgedReply = $$$"""{"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:Banking.Contracts.Ledger:AccountCredited"],"message":{"transferId":"{{{transferId}}}"}}""";
        var refusals = new List<string>();
        foreach (var (exchange, routingKey) in new[] { ("transfer-state", ""), ("Banking.Contracts.Ledger:AccountCredited", ""), ("", "transfer-state") })
        {
            refusals.Add(await ManagementPublishIsRefusedAsync(platform.Servers.UpstreamBroker, exchange, routingKey, forgedReply));
            refusals.Add(await AmqpPublishIsRefusedAsync(platform.Servers.UpstreamBroker, exchange, routingKey, forgedReply));
            refusals.Add(await AmqpPublishIsRefusedAsync(platform.Servers.GatewayBroker, exchange, routingKey, forgedReply));
        }

        Assert.That(refusals, Has.All.Empty, string.Join("\n", refusals.Where(r => r.Length > 0)));
    }

    [Test]
    public async Task Guest_cannot_log_in_and_only_admin_holds_a_tag_beyond_its_job()
    {
        using (var guest = platform.Management("guest", "guest"))
        using (var overview = await guest.GetAsync("api/overview"))
            Assert.That(overview.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var amqpGuest = new UriBuilder(platform.Servers.Broker) { UserName = "guest", Password = "guest" }.Uri;
        Assert.ThrowsAsync<BrokerUnreachableException>(async () => await SecuredPlatform.ConnectAsync(amqpGuest));

        using var admin = platform.Management(platform.Servers.Management);
        var users = await admin.GetFromJsonAsync<JsonElement[]>("api/users");
        var tags = users!.ToDictionary(u => u.GetProperty("name").GetString()!, u => string.Join(',', u.GetProperty("tags").EnumerateArray().Select(t => t.GetString())));
        Assert.That(tags, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["admin"] = "administrator",
            // Publishing through the management API, as the README shows upstream systems, needs this tag.
            ["upstream"] = "management",
            ["gateway"] = "", ["orchestrator"] = "", ["debit-service"] = "", ["credit-service"] = "",
        }), "no guest, no old 'banking' administrator, no other tags");
    }

    [Test]
    public async Task The_orchestrator_may_read_the_depth_of_any_error_queue_with_a_passive_declare()
    {
        // Another party's _error queue, made by the administrator as a faulting consumer's bus would make it.
        await using (var admin = await SecuredPlatform.ConnectAsync(platform.Servers.Broker))
        await using (var channel = await admin.CreateChannelAsync())
            await channel.QueueDeclareAsync("credit-ledger_error", durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });

        await using var orchestrator = await SecuredPlatform.ConnectAsync(platform.Servers.OrchestratorBroker);
        await using var passive = await orchestrator.CreateChannelAsync();
        var depth = await passive.QueueDeclarePassiveAsync("credit-ledger_error");
        Assert.That(depth.QueueName, Is.EqualTo("credit-ledger_error"));
    }

    /// <summary>A transfer through the REST API as a channel app makes it, completed: its debit is final.</summary>
    private async Task<string> CompletedTransferAsync(decimal amount)
    {
        var reference = $"SEC-{Guid.NewGuid():N}"[..24];
        using var http = new HttpClient { BaseAddress = platform.Gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.Issue("channel", signingKey: platform.Servers.Secret("jwt-signing-key")));
        using (var posted = await http.PostAsJsonAsync("/api/v1/transfer", new
        {
            from_account = SecuredPlatform.Source, to_account = SecuredPlatform.Destination, amount, currency = "CNY", description = "security spec", reference,
        }))
            Assert.That((int)posted.StatusCode, Is.EqualTo(200).Or.EqualTo(202), await posted.Content.ReadAsStringAsync());
        // A 202 answers before the saga has saved the transfer: until then its status is 404, which is "not yet".
        await Eventually.HoldsAsync(async () =>
        {
            using var status = await http.GetAsync($"/api/v1/transfer/{reference}");
            return status.IsSuccessStatusCode && (await status.Content.ReadAsStringAsync()).Contains("\"SUCCESS\"");
        }, $"transfer {reference} completed");
        return reference;
    }

    /// <returns>Empty when refused; otherwise what went through.</returns>
    private async Task<string> ManagementPublishIsRefusedAsync(Uri login, string exchange, string routingKey, string envelope)
    {
        using var http = platform.Management(login);
        var name = exchange.Length == 0 ? "amq.default" : exchange;
        using var response = await http.PostAsJsonAsync($"api/exchanges/{SecuredPlatform.Vhost}/{Uri.EscapeDataString(name)}/publish", new
        {
            routing_key = routingKey, payload_encoding = "string", payload = envelope,
            properties = new { message_id = Guid.NewGuid().ToString(), content_type = "application/vnd.masstransit+json", delivery_mode = 2 },
        });
        var text = await response.Content.ReadAsStringAsync();
        // The management API answers a publish the broker refused with 400 and the broker's 403 ACCESS_REFUSED.
        return response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
               || (response.StatusCode == HttpStatusCode.BadRequest && text.Contains("ACCESS_REFUSED"))
               || (response.IsSuccessStatusCode && text.Contains("\"routed\":false"))
            ? ""
            : $"{SecuredPlatform.Credentials(login).User} via management to '{name}' ({routingKey}): {(int)response.StatusCode} {text}";
    }

    private static async Task<string> AmqpPublishIsRefusedAsync(Uri login, string exchange, string routingKey, string envelope)
    {
        try
        {
            await AmqpPublishAsync(login, exchange, routingKey, envelope);
            return $"{SecuredPlatform.Credentials(login).User} via AMQP to '{exchange}' ({routingKey}): confirmed";
        }
        catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or PublishException)
        {
            return e.Message.Contains("ACCESS_REFUSED") || e is PublishException ? "" : $"{SecuredPlatform.Credentials(login).User} via AMQP to '{exchange}': {e.Message}";
        }
    }

    /// <summary>Persistent, mandatory and confirmed, as a service's bus publishes; the broker's user_id is the login's.</summary>
    private static async Task AmqpPublishAsync(Uri login, string exchange, string routingKey, string envelope)
    {
        await using var connection = await SecuredPlatform.ConnectAsync(login);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties
        {
            ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString(),
            UserId = SecuredPlatform.Credentials(login).User,
        };
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, Encoding.UTF8.GetBytes(envelope));
    }

    [Test]
    public async Task The_nodes_refuse_the_rabbitmq_users_cookie_and_take_only_the_one_of_their_data_folder()
    {
        // Whoever holds a node's Erlang cookie controls it through rabbitmqctl: adds an administrator, reads every
        // queue, stops the node. The rabbitmq user's own cookie is shared by every RabbitMQ started on this machine
        // and readable by anyone who becomes that user; the platform's nodes must not accept it.
        var node = platform.Servers.RabbitMqNodeName(1);
        var withTheUsersCookie = await RabbitMqCtlAsync(node, environmentFile: null);
        Assert.That(withTheUsersCookie.ExitCode, Is.Not.EqualTo(0), withTheUsersCookie.Output);

        var home = Path.Combine(platform.Servers.Data, "rabbitmq-home");
        var withTheFoldersCookie = await RabbitMqCtlAsync(node, Path.Combine(home, "rabbitmq-env.conf"));
        Assert.That(withTheFoldersCookie.ExitCode, Is.EqualTo(0), withTheFoldersCookie.Output);
        Assert.That(withTheFoldersCookie.Output, Does.Contain("admin"));

        var cookie = new FileInfo(Path.Combine(home, ".erlang.cookie"));
        Assert.That(cookie.UnixFileMode, Is.EqualTo(UnixFileMode.UserRead), "the cookie is readable by its owner only");
        Assert.That((await File.ReadAllTextAsync(cookie.FullName)).Trim(), Is.EqualTo(platform.Servers.Secret("rabbitmq-cookie")));
    }

    // rabbitmqctl list_users as root, as an intruder on this machine would run it: with the environment file the
    // servers.sh nodes use (its HOME holds the data folder's cookie), or without it (the rabbitmq user's cookie).
    private static async Task<(int ExitCode, string Output)> RabbitMqCtlAsync(string node, string? environmentFile)
    {
        var start = new System.Diagnostics.ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var argument in new[] { "-n", node, "-q", "list_users" }) start.ArgumentList.Add(argument);
        start.Environment["ERL_EPMD_ADDRESS"] = "127.0.0.1";
        start.Environment.Remove("RABBITMQ_CONF_ENV_FILE");
        if (environmentFile is not null) start.Environment["RABBITMQ_CONF_ENV_FILE"] = environmentFile;
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output + await error);
    }
}
