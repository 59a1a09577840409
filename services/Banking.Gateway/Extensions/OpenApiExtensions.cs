using System.Text.Json.Nodes;
using Banking.Gateway.Security;
using Banking.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Banking.Gateway.Extensions;

public static class OpenApiExtensions
{
    private const string Bearer = "Bearer";
    private const string ApiKey = "ApiKey";

    /// <summary>The OpenAPI document generated from the endpoints, with both auth schemes, the error schema and the seed's examples.</summary>
    public static IHostApplicationBuilder AddGatewayOpenApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Banking Gateway",
                    Version = "v1",
                    Description = "REST API for channel apps: transfers between accounts of two ledgers and balances. " +
                                  "Errors always have the shape {\"error\":{\"code\",\"message\",\"details\",\"timestamp\",\"trace_id\"}}. " +
                                  "Authenticate with a JWT (Authorization: Bearer ...) or an API key (X-Api-Key); a request with both is refused (401).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "Claims: sub, name, role (customer, channel, operator, auditor, admin), client_no (customers).",
                };
                document.Components.SecuritySchemes[ApiKey] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = ApiKeyAuthenticationHandler.HeaderName,
                    Description = "For external systems; configured as SHA-256 hashes under ApiKeys:Keys.",
                };
                return Task.CompletedTask;
            });

            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
                {
                    operation.Security =
                    [
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [] },
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKey, context.Document)] = [] },
                    ];
                }

                AddExamples(operation);
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary><c>/openapi/v1.json</c> and the browsable reference at <c>/docs</c>.</summary>
    public static WebApplication MapGatewayDocs(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options
                .WithTitle("Banking Gateway")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .AllowAnonymous();
        return app;
    }

    /// <summary>Declares the error body for each status an endpoint may answer with.</summary>
    public static RouteHandlerBuilder ProducesErrors(this RouteHandlerBuilder builder, params int[] statusCodes)
    {
        foreach (var status in statusCodes) builder.Produces<ErrorResponse>(status, "application/json");
        return builder;
    }

    private static void AddExamples(OpenApiOperation operation)
    {
        if (operation.OperationId == "ProcessTransfer" && operation.RequestBody?.Content?.TryGetValue("application/json", out var request) == true)
        {
            request.Example = JsonNode.Parse("""
                {"from_account":"6230399991006371427","to_account":"6230399991006371428","amount":1000.00,"currency":"CNY","description":"Transfer payment","reference":"TXN20250107001"}
                """);
        }

        if (operation.Responses is null) return;
        foreach (var (status, response) in operation.Responses)
        {
            if (response.Content is null || !response.Content.TryGetValue("application/json", out var media)) continue;
            var example = Example(operation.OperationId, status);
            if (example is not null) media.Example = JsonNode.Parse(example);
        }
    }

    private static string? Example(string? operationId, string status) => (operationId, status) switch
    {
        ("ProcessTransfer", "200") => """
            {"status":"success","transfer_id":"TXN20250107001","transaction_time":"2025-01-07T10:30:00Z","from_account":"6230399991006371427","to_account":"6230399991006371428","amount":1000.00,"currency":"CNY","new_balance":9000.00}
            """,
        ("ProcessTransfer", "202") => """
            {"status":"PENDING","transfer_id":"TXN20250107001","from_account":"6230399991006371427","to_account":"6230399991006371428","amount":1000.00,"currency":"CNY","description":"Transfer payment"}
            """,
        ("ProcessTransfer", "409") => Error("DUPLICATE_REFERENCE", "Reference TXN20250107001 is already used by another transfer request", """{"field":"reference","transfer_id":"TXN20250107001"}"""),
        // The 503 a client must act on with care: "not started" may be retried any way, this one only with the same reference.
        ("ProcessTransfer", "503") => Error("SERVICE_UNAVAILABLE",
            "The message broker did not confirm transfer TXN20250107001 in time; its outcome is unknown. Retry with the same reference, never a new one: the retry is answered with the transfer's outcome and never pays twice",
            """{"transfer_id":"TXN20250107001","retry_same_reference":true}"""),
        ("ProcessTransfer", "413") => Error("PAYLOAD_TOO_LARGE", "The request body is larger than 16384 bytes", """{"max_bytes":16384}"""),
        ("ProcessTransfer", "422") => Error("INSUFFICIENT_BALANCE", "Account balance is insufficient for this transaction",
            """{"account":"6230399991006371427","available_balance":500.00,"requested_amount":1000.00,"transfer_id":"TXN20250107001","transfer_status":"FAILED"}"""),
        ("ProcessTransfer", "404") => Error("ACCOUNT_NOT_FOUND", "The account does not exist",
            """{"account":"6230399991006371427","transfer_id":"TXN20250107001","transfer_status":"FAILED"}"""),
        ("GetTransferStatus", "200") => """
            {"transfer_id":"TXN20250107001","status":"SUCCESS","from_account":"6230399991006371427","to_account":"6230399991006371428","amount":1000.00,"currency":"CNY","created_at":"2025-01-07T10:30:00Z","completed_at":"2025-01-07T10:30:02Z"}
            """,
        ("GetTransferStatus", "404") => Error("TRANSFER_NOT_FOUND", "No transfer with id TXN20250107001", """{"transfer_id":"TXN20250107001"}"""),
        ("GetAccountBalance", "200") => """
            {"account_no":"6230399991006371427","balance":10000.00,"currency":"CNY","status":"ACTIVE","last_updated":"2025-01-07T10:30:00Z"}
            """,
        ("GetAccountBalance", "404") => Error("ACCOUNT_NOT_FOUND", "Account 6230399991006371427 does not exist", """{"account":"6230399991006371427"}"""),
        (_, "400") => Error("VALIDATION_ERROR", "amount must have at most 2 decimal places", """{"field":"amount"}"""),
        (_, "401") => Error("UNAUTHORIZED", "A valid bearer token or API key is required", "{}"),
        (_, "403") => Error("FORBIDDEN", "This is not one of your accounts", "{}"),
        (_, "429") => Error("RATE_LIMITED", "Too many requests; at most 100 per 60 s. Retry after 12 s", """{"retry_after_seconds":12}"""),
        (_, "500") => Error("INTERNAL_ERROR", "An unexpected error occurred; quote the trace_id when reporting it", "{}"),
        (_, "503") => Error("SERVICE_UNAVAILABLE", "The message broker is unreachable; the transfer was not started", """{"transfer_id":"TXN20250107001"}"""),
        _ => null,
    };

    private static string Error(string code, string message, string details) =>
        $$$"""{"error":{"code":"{{{code}}}","message":"{{{message}}}","details":{{{details}}},"timestamp":"2025-01-07T10:30:00Z","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}""";
}
