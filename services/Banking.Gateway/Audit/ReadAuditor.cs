using System.Threading.Channels;
using Banking.Contracts;
using Banking.Contracts.Audit;
using Banking.Gateway.Security;
using MassTransit;

namespace Banking.Gateway.Audit;

/// <summary>
/// Collects the reads the gateway answers and sends them to the orchestrator's audit trail (<see cref="Endpoints.AuditedReads"/>)
/// in batches: one message, confirmed by the broker, for up to <see cref="MaxBatch"/> reads or what came in within
/// <see cref="Window"/>, so auditing a read costs the read no round trip. A batch the broker does not confirm is sent
/// again (through the bus itself, a singleton like this: the scoped send-endpoint provider is for request scopes); reads are dropped (and counted) only when more than <see cref="MaxBacklog"/> wait, so that an unreachable
/// broker cannot exhaust the gateway's memory.
/// </summary>
public sealed class ReadAuditor(IBus sender, ILogger<ReadAuditor> logger) : BackgroundService
{
    public const int MaxBatch = 500;
    public const int MaxBacklog = 100_000;
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    private readonly Channel<AuditedRead> reads = Channel.CreateBounded<AuditedRead>(new BoundedChannelOptions(MaxBacklog)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private long dropped;

    public long Dropped => Interlocked.Read(ref dropped);

    public void Record(string action, Caller caller, string subject, string? details)
    {
        var read = new AuditedRead
        {
            Action = action, Actor = caller.Describe(), Subject = subject, SourceAddress = caller.SourceAddress, Details = details, ReadAtUtc = DateTime.UtcNow,
        };
        if (!reads.Writer.TryWrite(read) && Interlocked.Increment(ref dropped) % 1_000 == 1)
            logger.LogError("The audit of reads is {Backlog} behind the broker; {Dropped} reads were not audited", MaxBacklog, Dropped);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditedRead>(MaxBatch);
        while (await reads.Reader.WaitToReadAsync(stoppingToken))
        {
            using (var window = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                window.CancelAfter(Window);
                try
                {
                    while (batch.Count < MaxBatch && await reads.Reader.WaitToReadAsync(window.Token))
                        while (batch.Count < MaxBatch && reads.Reader.TryRead(out var read)) batch.Add(read);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }

            await SendAsync(batch, stoppingToken);
            batch.Clear();
        }
    }

    private async Task SendAsync(List<AuditedRead> batch, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var endpoint = await sender.GetSendEndpoint(Endpoints.Queue(Endpoints.AuditedReads));
                await endpoint.Send(new ReadsAudited { Reads = [.. batch] }, stoppingToken);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (attempt == 1) logger.LogWarning(e, "{Count} audited reads could not be sent; retrying", batch.Count);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * attempt)), stoppingToken);
            }
        }
    }
}

/// <summary>Records every answered read of an endpoint, with the status it was answered with, once the answer is sent.</summary>
public sealed class AuditedReadFilter(string action, Func<HttpContext, string?> subjectOf) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var auditor = http.RequestServices.GetRequiredService<ReadAuditor>();
        var caller = Caller.From(http.User) with { SourceAddress = http.Connection.RemoteIpAddress?.ToString() };
        var subject = subjectOf(http) ?? "(none)";
        http.Response.OnCompleted(() =>
        {
            auditor.Record(action, caller, subject, $"answered {http.Response.StatusCode}");
            return Task.CompletedTask;
        });
        return await next(context);
    }
}
