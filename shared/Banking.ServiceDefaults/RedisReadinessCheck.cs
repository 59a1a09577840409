using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Banking.ServiceDefaults;

/// <summary>
/// Ready when Redis answers PING within the timeout: through the service's own multiplexer when it registered one
/// (that is the connection requests use), otherwise through a short-lived connection.
/// </summary>
internal sealed class RedisReadinessCheck(string configuration, IConnectionMultiplexer? shared, TimeSpan timeout, ServerCertificates? certificates = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (shared is not null)
            {
                // A disconnected multiplexer queues commands until its own, longer timeout: do not wait for that.
                await shared.GetDatabase().PingAsync().WaitAsync(deadline.Token);
                return HealthCheckResult.Healthy();
            }

            await using var connection = await ConnectAsync(deadline.Token);
            await connection.GetDatabase().PingAsync().WaitAsync(deadline.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = deadline.IsCancellationRequested ? $"no answer within {timeout.TotalSeconds:0.#} s" : FirstLine(e.Message);
            return new HealthCheckResult(context.Registration.FailureStatus, $"Redis: {reason}");
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.ConnectTimeout = options.SyncTimeout = options.AsyncTimeout = (int)timeout.TotalMilliseconds;
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 0;
        if (certificates is not null) options.CertificateValidation += certificates.Validate;

        var connecting = ConnectionMultiplexer.ConnectAsync(options);
        try
        {
            return await connecting.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // A connection that completes after we gave up must still be closed.
            _ = connecting.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
            throw;
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
