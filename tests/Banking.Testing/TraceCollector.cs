using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Banking.Testing;

/// <summary>One exported span, as much of it as the trace specs look at.</summary>
public sealed record CollectedSpan(
    string Service,
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    IReadOnlyDictionary<string, string> Attributes)
{
    public string? Attribute(string key) => Attributes.TryGetValue(key, out var value) ? value : null;

    public override string ToString() => $"{Service}: {Name} ({SpanId} <- {ParentSpanId ?? "root"})";
}

/// <summary>
/// An OTLP/HTTP receiver for the services under test (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> pointed at it, protocol
/// <c>http/protobuf</c>): keeps every span it is sent, and answers metrics and logs with 200 so that no exporter retries.
/// </summary>
public sealed class TraceCollector : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<CollectedSpan> spans = new();

    private TraceCollector(WebApplication app)
    {
        this.app = app;
    }

    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<CollectedSpan> Spans => [.. spans];

    /// <summary>What a service needs to export its traces and metrics here, traces soon after each span ends.</summary>
    public IDictionary<string, string> ExporterSettings => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "60000",
    };

    /// <summary>The same for traces alone, as Compose sets it for Jaeger: the signal's own endpoint is the full URL.</summary>
    public IDictionary<string, string> TraceExporterSettings => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = new Uri(Endpoint, "/v1/traces").ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    public static async Task<TraceCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var collector = new TraceCollector(app);
        app.MapPost("/v1/traces", collector.ReceiveAsync);
        app.MapPost("/v1/{signal}", () => Results.Ok());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        collector.Endpoint = new Uri(address);
        return collector;
    }

    /// <summary>The spans of one trace, waiting until no new one has come for a while (exporters send in batches).</summary>
    public async Task<IReadOnlyList<CollectedSpan>> TraceAsync(string traceId, Func<IReadOnlyList<CollectedSpan>, bool> complete, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        List<CollectedSpan> trace;
        while (true)
        {
            trace = [.. spans.Where(s => s.TraceId == traceId)];
            if (complete(trace) || DateTime.UtcNow > deadline) break;
            await Task.Delay(200);
        }

        // Spans that end after the last one asked for (the outer consume spans) arrive in the exporters' next batch.
        await Task.Delay(1000);
        return [.. spans.Where(s => s.TraceId == traceId)];
    }

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        foreach (var span in ExportRequest.Read(body.ToArray())) spans.Enqueue(span);
        return Results.Ok();
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>
    /// Just enough of the protobuf wire format to read <c>ExportTraceServiceRequest</c>: resource_spans (1) → resource (1)
    /// → attributes (1), and scope_spans (2) → spans (2) → trace_id (1), span_id (2), parent_span_id (4), name (5),
    /// attributes (9) with string values only.
    /// </summary>
    private static class ExportRequest
    {
        public static IEnumerable<CollectedSpan> Read(ReadOnlyMemory<byte> request)
        {
            var found = new List<CollectedSpan>();
            foreach (var (field, resourceSpans) in Fields(request))
            {
                if (field != 1) continue;
                var service = "";
                var scopeSpans = new List<ReadOnlyMemory<byte>>();
                foreach (var (inner, value) in Fields(resourceSpans))
                {
                    if (inner == 1) service = Attributes(value, 1).GetValueOrDefault("service.name", "");
                    else if (inner == 2) scopeSpans.Add(value);
                }

                foreach (var scope in scopeSpans)
                {
                    foreach (var (inner, span) in Fields(scope))
                    {
                        if (inner == 2) found.Add(Span(service, span));
                    }
                }
            }

            return found;
        }

        private static CollectedSpan Span(string service, ReadOnlyMemory<byte> span)
        {
            string traceId = "", spanId = "", name = "";
            string? parent = null;
            foreach (var (field, value) in Fields(span))
            {
                switch (field)
                {
                    case 1: traceId = Convert.ToHexStringLower(value.Span); break;
                    case 2: spanId = Convert.ToHexStringLower(value.Span); break;
                    case 4 when value.Length > 0: parent = Convert.ToHexStringLower(value.Span); break;
                    case 5: name = Encoding.UTF8.GetString(value.Span); break;
                }
            }

            return new CollectedSpan(service, traceId, spanId, parent, name, Attributes(span, 9));
        }

        private static Dictionary<string, string> Attributes(ReadOnlyMemory<byte> message, int field)
        {
            var attributes = new Dictionary<string, string>();
            foreach (var (number, keyValue) in Fields(message))
            {
                if (number != field) continue;
                string? key = null, text = null;
                foreach (var (part, value) in Fields(keyValue))
                {
                    if (part == 1) key = Encoding.UTF8.GetString(value.Span);
                    else if (part == 2) text = Fields(value).Where(f => f.Field == 1).Select(f => Encoding.UTF8.GetString(f.Value.Span)).FirstOrDefault();
                }

                if (key is not null && text is not null) attributes[key] = text;
            }

            return attributes;
        }

        /// <summary>The length-delimited fields of a message; numbers, fixed-width values and groups are skipped.</summary>
        private static List<(int Field, ReadOnlyMemory<byte> Value)> Fields(ReadOnlyMemory<byte> message)
        {
            var fields = new List<(int, ReadOnlyMemory<byte>)>();
            var bytes = message.Span;
            var at = 0;
            while (at < bytes.Length)
            {
                var tag = Varint(bytes, ref at);
                var field = (int)(tag >> 3);
                switch (tag & 7)
                {
                    case 0: Varint(bytes, ref at); break;
                    case 1: at += 8; break;
                    case 5: at += 4; break;
                    case 2:
                        var length = (int)Varint(bytes, ref at);
                        fields.Add((field, message.Slice(at, length)));
                        at += length;
                        break;
                    default: throw new InvalidDataException($"wire type {tag & 7} at byte {at} is not expected in OTLP");
                }
            }

            return fields;
        }

        private static ulong Varint(ReadOnlySpan<byte> bytes, ref int at)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = bytes[at++];
                value |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return value;
            }
        }
    }
}
