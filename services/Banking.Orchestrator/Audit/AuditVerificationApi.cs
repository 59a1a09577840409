using System.Security.Claims;
using System.Text.Json.Serialization;
using Banking.Messaging.Audit;
using Banking.Orchestrator.Apis;
using Banking.Orchestrator.Data;
using Banking.Orchestrator.Reconciliation;
using Banking.ServiceDefaults.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace Banking.Orchestrator.Audit;

/// <summary>
/// <c>GET /api/v1/operator/audit</c>: walks the audit chains of all three databases (bank_core, DB1, DB2) and names
/// the first broken row of each chain, as each service's <c>verify-audit</c> command does for its own database.
/// <para>
/// The ledgers are read over the reconciler's SELECT-only logins, not through the ledger services: the check of a
/// service's trail should not depend on that service's own word, and a chain of a busy day is too long for a
/// request/response message. 200 whether intact or not (<c>intact</c> says which, <c>null</c> when a database could
/// not be read); the call itself goes into the orchestrator's trail with its result.
/// </para>
/// </summary>
public static class AuditVerificationApi
{
    public const string Route = "/api/v1/operator/audit";

    public static IEndpointRouteBuilder MapAuditVerificationApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Route, VerifyAsync).RequireAuthorization(Policies.Operators);
        return app;
    }

    public sealed record DatabaseVerification(
        [property: JsonPropertyName("database")] string Database,
        [property: JsonPropertyName("service")] string Service,
        [property: JsonPropertyName("available")] bool Available,
        [property: JsonPropertyName("intact")] bool? Intact,
        [property: JsonPropertyName("chains")] IReadOnlyList<AuditChainVerification> Chains,
        [property: JsonPropertyName("error")] string? Error);

    public sealed record TrailVerification(
        [property: JsonPropertyName("intact")] bool? Intact,
        [property: JsonPropertyName("databases")] IReadOnlyList<DatabaseVerification> Databases,
        [property: JsonPropertyName("verified_at")] DateTime VerifiedAtUtc,
        [property: JsonPropertyName("verified_by")] string VerifiedBy);

    private static async Task<IResult> VerifyAsync(ClaimsPrincipal user, HttpContext http, CoreDbContext db, IOptions<ReconciliationOptions> reconciliation, CancellationToken ct)
    {
        var options = reconciliation.Value;
        var databases = new List<DatabaseVerification>
        {
            await VerifyDatabaseAsync("bank_core", "Orchestrator", db.Database.GetConnectionString(), options.CommandTimeoutSeconds, ct),
            await VerifyDatabaseAsync("DB1", "DebitService", options.Db1, options.CommandTimeoutSeconds, ct),
            await VerifyDatabaseAsync("DB2", "CreditService", options.Db2, options.CommandTimeoutSeconds, ct),
        };

        // Broken anywhere is broken; intact only when every database was read and is intact.
        bool? intact = databases.Any(d => d.Intact == false) ? false : databases.All(d => d.Intact == true) ? true : null;
        var who = OperatorApi.OperatorName(user);
        var broken = databases.SelectMany(d => d.Chains.Where(c => c.FirstBreak is not null).Select(c => $"{d.Database}/{c.Chain}@{c.FirstBreak!.Seq}"));
        await CoreAuditTrail.AppendAsync(db, CoreAuditTrail.OperatorChain, new AuditEntry(
            "AuditTrailVerified", who, "audit-trail",
            $"intact {(intact is { } i ? i ? "yes" : "no" : "unknown")}; broken [{string.Join(", ", broken)}]; unavailable [{string.Join(", ", databases.Where(d => !d.Available).Select(d => d.Database))}]",
            http.Connection.RemoteIpAddress?.ToString()), ct);

        return Results.Json(new TrailVerification(intact, databases, DateTime.UtcNow, who));
    }

    private static async Task<DatabaseVerification> VerifyDatabaseAsync(string database, string service, string? connectionString, int timeoutSeconds, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            return new DatabaseVerification(database, service, false, null, [], "no read-only login is configured for it on this orchestrator");
        try
        {
            var builder = new MySqlConnectionStringBuilder(connectionString) { DefaultCommandTimeout = (uint)timeoutSeconds };
            await using var connection = new MySqlConnection(builder.ConnectionString);
            await connection.OpenAsync(ct);
            var verification = await AuditVerifier.VerifyAsync(connection, ct);
            return new DatabaseVerification(database, service, true, verification.Intact, verification.Chains, null);
        }
        catch (MySqlException e)
        {
            // The server's message names no secret; the connection string is never echoed.
            return new DatabaseVerification(database, service, false, null, [], $"could not be read: {e.Message}");
        }
    }
}
