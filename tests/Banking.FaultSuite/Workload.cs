using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Banking.Testing;
using RabbitMQ.Client;

namespace Banking.FaultSuite;

/// <summary>What a client sent and what it was told: the checks compare this with the ledgers.</summary>
public sealed class TransferAttempt(string transferId, string from, string to, decimal amount, string path)
{
    public string TransferId { get; } = transferId;
    public string From { get; } = from;
    public string To { get; } = to;
    public decimal Amount { get; } = amount;

    /// <summary><c>REST</c> or <c>RABBITMQ</c>.</summary>
    public string Path { get; } = path;

    /// <summary>
    /// The platform took responsibility: HTTP 200/202/4xx with a transfer outcome, or a broker confirm. Never a 503,
    /// whether "not started" or "outcome unknown, retry with the same reference".
    /// </summary>
    public bool Acknowledged { get; set; }
    public int? HttpStatus { get; set; }
    public string? ErrorCode { get; set; }
    public decimal? NewBalance { get; set; }
    public int Sends { get; set; }

    /// <summary>Raw publishes, kept to be delivered again by the duplicate-delivery fault.</summary>
    public List<(Guid MessageId, string Body)> Published { get; } = [];
}

/// <summary>C clients sending random transfers through the REST API and as raw JSON to RabbitMQ.</summary>
public sealed class Workload(FaultPlatform platform, Accounts accounts, FaultSuiteOptions options)
{
    private static readonly HashSet<string> Outcomes = ["INSUFFICIENT_BALANCE", "ACCOUNT_RESTRICTED", "ACCOUNT_NOT_FOUND", "CURRENCY_MISMATCH", "DUPLICATE_REFERENCE"];

    /// <summary>How often a client sends a request again, under the same reference, after a 503.</summary>
    private const int RetriesAfterUnavailable = 4;

    // A Retry-After longer than this is cut short: the run's faults heal within seconds, and a client that sleeps for
    // a minute would only leave its transfer unknown when the load stops.
    private static readonly TimeSpan LongestRetryAfter = TimeSpan.FromSeconds(10);

    // Signed with the key the services run with, as platform.sh's token command signs.
    private readonly string token = TestTokens.Issue("channel", "fault-suite", signingKey: platform.Servers.Secret("jwt-signing-key"), lifetime: TimeSpan.FromHours(2));
    private int next;

    public ConcurrentDictionary<string, TransferAttempt> Attempts { get; } = new();
    public ConcurrentDictionary<string, int> ErrorsByCode { get; } = new();

    public async Task RunAsync(CancellationToken stop)
    {
        // Client i talks to gateway i mod N, as channel apps behind a load balancer would.
        var clients = Enumerable.Range(0, options.Clients).Select(i => ClientAsync(new Random(options.Seed * 31 + i), platform.Gateways[i % platform.Gateways.Count], stop));
        await Task.WhenAll(clients);
    }

    private async Task ClientAsync(Random random, ServiceProcess gateway, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        while (!stop.IsCancellationRequested)
        {
            var attempt = NewAttempt(random);
            try
            {
                if (attempt.Path == "REST") await SendRestRetryingAsync(http, attempt, stop);
                else await PublishRawAsync(attempt, Guid.NewGuid());

                // A repeated reference: the same request again, which must not move money twice.
                if (random.NextDouble() < 0.05)
                {
                    if (attempt.Path == "REST") await SendRestRetryingAsync(http, attempt, stop);
                    else await PublishRawAsync(attempt, Guid.NewGuid());
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The platform (or the broker) was down: the client does not know the outcome, like a real one.
                ErrorsByCode.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    private TransferAttempt NewAttempt(Random random)
    {
        var n = Interlocked.Increment(ref next);
        var from = accounts.Sources[random.Next(accounts.Sources.Count)];
        var roll = random.NextDouble();
        var to = roll < 0.03 ? accounts.RestrictedDestination : accounts.Destinations[random.Next(accounts.Destinations.Count)];
        // Mostly small amounts; some that no account can pay, which must fail without touching the ledger.
        var amount = roll > 0.97 ? 9_999_999.00m : Math.Round((decimal)(random.NextDouble() * 200 + 0.01), 2);
        var path = random.NextDouble() < options.RawShare ? "RABBITMQ" : "REST";
        var attempt = new TransferAttempt($"F{options.Seed}-{n:D7}", from, to, amount, path);
        Attempts[attempt.TransferId] = attempt;
        return attempt;
    }

    /// <summary>
    /// As a bank's channel does with a 503: the same request under the same reference again, after the Retry-After, a
    /// few times. After "outcome unknown" that is the only safe retry (a new reference could pay twice); after "not
    /// started" it is merely as safe. Without it, a transfer whose request the broker lost stays unknown for good.
    /// </summary>
    private async Task SendRestRetryingAsync(HttpClient http, TransferAttempt attempt, CancellationToken stop)
    {
        for (var retries = 0; ; retries++)
        {
            var retryAfter = await SendRestAsync(http, attempt, stop);
            if (retryAfter is null || retries == RetriesAfterUnavailable) return;
            await Task.Delay(retryAfter.Value, stop);
        }
    }

    /// <returns>When the answer was 503, how long to wait before sending the same request again.</returns>
    private async Task<TimeSpan?> SendRestAsync(HttpClient http, TransferAttempt attempt, CancellationToken stop)
    {
        attempt.Sends++;
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["from_account"] = attempt.From,
            ["to_account"] = attempt.To,
            ["amount"] = attempt.Amount,
            ["currency"] = "CNY",
            ["description"] = "fault suite",
            ["reference"] = attempt.TransferId,
        });
        using var response = await http.PostAsync("/api/v1/transfer", new StringContent(body, Encoding.UTF8, "application/json"), stop);
        var text = await response.Content.ReadAsStringAsync(stop);
        var status = (int)response.StatusCode;
        attempt.HttpStatus = status;
        using var json = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        if (status is 200)
        {
            attempt.Acknowledged = true;
            attempt.NewBalance = json.RootElement.GetProperty("new_balance").GetDecimal();
        }
        else if (status is 202)
        {
            attempt.Acknowledged = true;
        }
        else
        {
            var code = json.RootElement.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() ?? "?" : $"HTTP {status}";
            attempt.ErrorCode = code;
            ErrorsByCode.AddOrUpdate(code, 1, (_, c) => c + 1);
            if (Outcomes.Contains(code)) attempt.Acknowledged = true;
        }

        if (status != 503) return null;
        var retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
        return retryAfter < LongestRetryAfter ? retryAfter : LongestRetryAfter;
    }

    public async Task PublishRawAsync(TransferAttempt attempt, Guid messageId, string? body = null)
    {
        attempt.Sends++;
        body ??= JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["transfer_id"] = attempt.TransferId,
            ["from_account"] = attempt.From,
            ["to_account"] = attempt.To,
            ["amount"] = attempt.Amount,
            ["currency"] = "CNY",
            ["description"] = "fault suite",
            ["requested_by"] = "fault-suite",
        });
        // As an upstream system does: its own login, which may write only the transfer-requests exchange.
        var factory = new ConnectionFactory { Uri = platform.Servers.UpstreamBroker, RequestedConnectionTimeout = TimeSpan.FromSeconds(5) };
        // Any node of the cluster that answers, as an upstream system with the cluster's list of nodes would.
        await using var connection = await factory.CreateConnectionAsync([.. platform.Servers.RabbitMqEndpoints.Select(e => new AmqpTcpEndpoint(e.Host, e.Port))]);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        // user_id is checked by the broker against the login: what the orchestrator may rely on for who sent it.
        var properties = new BasicProperties
        {
            ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, MessageId = messageId.ToString(), UserId = platform.Servers.UpstreamBroker.UserInfo.Split(':')[0],
        };
        // Returns once the broker confirmed the message as stored (persistent, durable queue).
        await channel.BasicPublishAsync("transfer-requests", "", mandatory: true, properties, Encoding.UTF8.GetBytes(body));
        lock (attempt.Published) attempt.Published.Add((messageId, body));
        attempt.Acknowledged = true;
    }
}
