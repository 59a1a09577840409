using System.Text;
using Banking.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;

namespace Banking.Foundation.Tests.ServiceDefaults;

/// <summary>A service the way Program.cs builds one (defaults, its parts, default endpoints), on an in-memory server.</summary>
internal static class TestApp
{
    public const string ServiceName = "foundation-test-service";

    public static async Task<WebApplication> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        TextWriter? log = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Service:Name"] = ServiceName });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);

        builder.AddServiceDefaults(log ?? TextWriter.Null);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/ping", () => "pong");
        await app.StartAsync();
        return app;
    }

    /// <summary>Polls <paramref name="path"/> until <paramref name="done"/> holds or the time is up; returns the last answer.</summary>
    public static async Task<(int Status, string Body)> GetUntilAsync(this WebApplication app, string path, Func<int, string, bool> done, TimeSpan limit)
    {
        var client = app.GetTestClient();
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            using var response = await client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            if (done((int)response.StatusCode, body) || DateTime.UtcNow > until) return ((int)response.StatusCode, body);
            await Task.Delay(200);
        }
    }
}

/// <summary>Collects what the log sink writes; safe to read while the host is still writing.</summary>
internal sealed class CapturedLog : TextWriter
{
    private readonly StringBuilder text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) { lock (text) text.Append(value); }

    public override void Write(string? value) { lock (text) text.Append(value); }

    public override string ToString() { lock (text) return text.ToString(); }

    public IReadOnlyList<string> Lines => ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
