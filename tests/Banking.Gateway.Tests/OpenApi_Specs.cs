using System.Net;
using System.Text.Json;
using Banking.Gateway.Tests.Support;

namespace Banking.Gateway.Tests;

/// <summary>
/// The generated OpenAPI document (<c>/openapi/v1.json</c>) describes the three endpoints with the seed's error
/// body for every error status and both ways to authenticate; <c>/docs</c> serves the Scalar reference. Both
/// are open without credentials: a channel team reads them before it has a key.
/// </summary>
public sealed class OpenApi_Specs
{
    private const string Transfer = "/api/v1/transfer";
    private const string TransferStatus = "/api/v1/transfer/{transfer_id}";
    private const string Balance = "/api/v1/account/{account_no}/balance";
    private const string Transactions = "/api/v1/account/{account_no}/transactions";
    private const string TransferList = "/api/v1/transfers";

    private GatewayHost gateway = null!;
    private JsonElement document;

    [OneTimeSetUp]
    public async Task Start()
    {
        gateway = await GatewayHost.SharedAsync();
        using var anonymous = gateway.Client();
        using var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "served without credentials");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        document = await response.Json();
    }

    public static IEnumerable<TestCaseData> Operations =>
    [
        new TestCaseData(Transfer, "post", "ProcessTransfer", new[] { 400, 401, 403, 404, 409, 413, 422, 429, 500, 503 }).SetArgDisplayNames("POST", Transfer),
        new TestCaseData(TransferStatus, "get", "GetTransferStatus", new[] { 400, 401, 403, 404, 429, 500, 503 }).SetArgDisplayNames("GET", TransferStatus),
        new TestCaseData(Balance, "get", "GetAccountBalance", new[] { 400, 401, 403, 404, 429, 500, 503 }).SetArgDisplayNames("GET", Balance),
        new TestCaseData(Transactions, "get", "GetAccountTransactions", new[] { 400, 401, 403, 404, 429, 500, 503 }).SetArgDisplayNames("GET", Transactions),
        new TestCaseData(TransferList, "get", "ListTransfers", new[] { 400, 401, 403, 429, 500, 503 }).SetArgDisplayNames("GET", TransferList),
    ];

    /// <summary>Follows <c>$ref</c>s within the document.</summary>
    private JsonElement Resolve(JsonElement schema)
    {
        while (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference))
        {
            var path = reference.GetString()!;
            Assert.That(path, Does.StartWith("#/"), "a reference within the document");
            schema = path[2..].Split('/').Aggregate(document, (node, segment) => node.GetProperty(segment.Replace("~1", "/").Replace("~0", "~")));
        }

        return schema;
    }

    private JsonElement Operation(string path, string method)
    {
        Assert.That(document.GetProperty("paths").TryGetProperty(path, out var item), Is.True, $"{path} is documented");
        Assert.That(item.TryGetProperty(method, out var operation), Is.True, $"{method.ToUpperInvariant()} {path} is documented");
        return operation;
    }

    private JsonElement JsonSchemaOf(JsonElement operation, int status)
    {
        Assert.That(operation.GetProperty("responses").TryGetProperty(status.ToString(), out var response), Is.True, $"{status} is documented");
        return Resolve(Resolve(response).GetProperty("content").GetProperty("application/json").GetProperty("schema"));
    }

    private static IEnumerable<string> PropertyNames(JsonElement schema) => schema.GetProperty("properties").EnumerateObject().Select(p => p.Name);

    [Test]
    public void The_document_is_OpenAPI_3_titled_for_the_gateway()
    {
        Assert.That(document.GetProperty("openapi").GetString(), Does.StartWith("3."));
        Assert.That(document.GetProperty("info").GetProperty("title").GetString(), Is.EqualTo("Banking Gateway"));
    }

    [Test]
    public void The_seeds_three_endpoints_the_statement_the_transfer_list_and_nothing_else_of_the_api_are_listed()
    {
        var apiPaths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).Where(p => p.StartsWith("/api/", StringComparison.Ordinal));
        Assert.That(apiPaths, Is.EquivalentTo(new[] { Transfer, TransferStatus, Balance, Transactions, TransferList }));
    }

    [TestCaseSource(nameof(Operations))]
    public void Every_error_status_of_an_endpoint_has_the_seeds_error_body(string path, string method, string operationId, int[] errorStatuses)
    {
        var operation = Operation(path, method);
        Assert.That(operation.GetProperty("operationId").GetString(), Is.EqualTo(operationId));
        foreach (var status in errorStatuses)
        {
            var body = JsonSchemaOf(operation, status);
            Assert.That(PropertyNames(body), Is.EqualTo(new[] { "error" }), $"{status}");
            var error = Resolve(body.GetProperty("properties").GetProperty("error"));
            Assert.That(PropertyNames(error), Is.EquivalentTo(new[] { "code", "message", "details", "timestamp", "trace_id" }), $"{status}");
        }
    }

    [TestCaseSource(nameof(Operations))]
    public void Every_endpoint_takes_a_bearer_token_or_an_API_key(string path, string method, string operationId, int[] errorStatuses)
    {
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.That(schemes.GetProperty("Bearer").GetProperty("scheme").GetString(), Is.EqualTo("bearer"));
        Assert.That(schemes.GetProperty("ApiKey").GetProperty("in").GetString(), Is.EqualTo("header"));
        Assert.That(schemes.GetProperty("ApiKey").GetProperty("name").GetString(), Is.EqualTo("X-Api-Key"));

        var required = Operation(path, method).GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name));
        Assert.That(required, Is.EquivalentTo(new[] { "Bearer", "ApiKey" }));
    }

    [Test]
    public void The_success_bodies_are_the_seeds_in_snake_case()
    {
        Assert.That(PropertyNames(JsonSchemaOf(Operation(Transfer, "post"), 200)),
            Is.EquivalentTo(new[] { "status", "transfer_id", "transaction_time", "from_account", "to_account", "amount", "currency", "new_balance" }));
        Assert.That(PropertyNames(JsonSchemaOf(Operation(TransferStatus, "get"), 200)),
            Is.SupersetOf(new[] { "transfer_id", "status", "from_account", "to_account", "amount", "currency", "created_at", "completed_at" }));
        Assert.That(PropertyNames(JsonSchemaOf(Operation(Balance, "get"), 200)),
            Is.EquivalentTo(new[] { "account_no", "balance", "currency", "status", "last_updated" }));
        var statement = JsonSchemaOf(Operation(Transactions, "get"), 200);
        Assert.That(PropertyNames(statement), Is.EquivalentTo(new[] { "account_no", "currency", "transactions", "next_cursor" }));
        Assert.That(PropertyNames(Resolve(Resolve(statement.GetProperty("properties").GetProperty("transactions")).GetProperty("items"))),
            Is.EquivalentTo(new[] { "entry_no", "transfer_id", "direction", "amount", "balance_after", "type", "description", "time" }));
    }

    [Test]
    public async Task The_docs_page_serves_the_Scalar_reference_as_HTML()
    {
        using var anonymous = gateway.Client();
        var response = await anonymous.GetAsync("/docs");
        if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.MovedPermanently or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect)
        {
            // A trailing-slash redirect is fine, as long as it stays on the docs.
            var location = new Uri(new Uri("http://localhost/docs"), response.Headers.Location!);
            response.Dispose();
            Assert.That(location.AbsolutePath, Does.StartWith("/docs"));
            response = await anonymous.GetAsync(location.PathAndQuery);
        }

        using (response)
        {
            var html = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
            Assert.That(html, Does.Contain("<html").IgnoreCase);
            Assert.That(html, Does.Contain("scalar").IgnoreCase);
            Assert.That(html, Does.Contain("Banking Gateway"));
        }
    }
}
