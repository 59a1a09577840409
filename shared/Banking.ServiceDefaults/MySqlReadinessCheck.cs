using Microsoft.Extensions.Diagnostics.HealthChecks;
using MySqlConnector;

namespace Banking.ServiceDefaults;

/// <summary>Ready when a fresh connection to the database opens and answers <c>SELECT 1</c> within the timeout.</summary>
internal sealed class MySqlReadinessCheck(string connectionString, TimeSpan timeout) : IHealthCheck
{
    // Unpooled: a pooled connection can look fine while new ones are refused, and the probe must not hold
    // pool slots that requests need.
    private readonly string probeConnectionString = new MySqlConnectionStringBuilder(connectionString)
    {
        Pooling = false,
        ConnectionTimeout = (uint)Math.Max(1, Math.Ceiling(timeout.TotalSeconds)),
        DefaultCommandTimeout = (uint)Math.Max(1, Math.Ceiling(timeout.TotalSeconds)),
    }.ConnectionString;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using var connection = new MySqlConnection(probeConnectionString);
            await connection.OpenAsync(deadline.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(deadline.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = deadline.IsCancellationRequested ? $"no answer within {timeout.TotalSeconds:0.#} s" : e.Message;
            return new HealthCheckResult(context.Registration.FailureStatus, $"MySQL: {reason}");
        }
    }
}
