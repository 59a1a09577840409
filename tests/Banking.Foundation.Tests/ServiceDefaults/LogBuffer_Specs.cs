using System.Text;
using Banking.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Banking.Foundation.Tests.ServiceDefaults;

/// <summary>The console stands still (a slow terminal, a full disk, a stopped log shipper): the service must not.</summary>
public class LogBuffer_Specs
{
    [Test]
    public async Task A_console_that_stands_still_never_holds_up_the_service_and_gets_every_line_when_it_moves_again()
    {
        var console = NewConsole();
        var app = await TestApp.StartAsync(log: console);
        var logger = app.Services.GetRequiredService<ILogger<LogBuffer_Specs>>();

        var logging = Task.Run(() =>
        {
            for (var line = 0; line < 500; line++) logger.LogInformation("line {Line}", line);
        });
        var finished = await Task.WhenAny(logging, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.That(finished, Is.SameAs(logging), "logging waited for a console that does not write");
        Assert.That(console.Written, Is.Empty, "the console was stalled: nothing can have been written yet");

        console.MoveAgain();
        await app.StopAsync();
        await app.DisposeAsync();
        var lines = console.Written.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Count(l => l.Contains("\"line ", StringComparison.Ordinal)), Is.EqualTo(500));
    }

    [Test]
    public async Task Past_the_buffer_lines_are_dropped_not_waited_for_and_metrics_count_them()
    {
        var console = NewConsole();
        var app = await TestApp.StartAsync(log: console);
        var logger = app.Services.GetRequiredService<ILogger<LogBuffer_Specs>>();
        const int logged = LoggingExtensions.BufferedEvents + 1_000;

        var logging = Task.Run(() =>
        {
            for (var line = 0; line < logged; line++) logger.LogInformation("line {Line}", line);
        });
        var finished = await Task.WhenAny(logging, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.That(finished, Is.SameAs(logging), "a full buffer made logging wait");

        var (_, metrics) = await app.GetUntilAsync("/metrics", (status, body) => body.Contains("banking_log_dropped", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var dropped = metrics.Split('\n').Single(l => l.StartsWith("banking_log_dropped", StringComparison.Ordinal));
        var buffered = metrics.Split('\n').Single(l => l.StartsWith("banking_log_buffered", StringComparison.Ordinal));

        console.MoveAgain();
        await app.StopAsync();
        await app.DisposeAsync();
        var written = console.Written.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("\"line ", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            // One line may already be in the stalled console's hands, beside the full buffer.
            Assert.That(written, Is.InRange(LoggingExtensions.BufferedEvents, LoggingExtensions.BufferedEvents + 1));
            Assert.That(double.Parse(dropped.Split(' ')[^1]), Is.EqualTo(logged - written), dropped);
            Assert.That(double.Parse(buffered.Split(' ')[^1]), Is.GreaterThanOrEqualTo(LoggingExtensions.BufferedEvents - 1), buffered);
        });
    }

    /// <summary>A console whose writes wait until it is told to move again.</summary>
    [TearDown]
    public void MoveEveryConsoleAgain()
    {
        foreach (var console in consoles) console.Release();
        consoles.Clear();
    }

    private readonly List<StalledConsole> consoles = [];

    private StalledConsole NewConsole()
    {
        var console = new StalledConsole();
        consoles.Add(console);
        return console;
    }

    private sealed class StalledConsole : TextWriter
    {
        private readonly ManualResetEventSlim moving = new(false);
        private readonly StringBuilder text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public string Written
        {
            get { lock (text) return text.ToString(); }
        }

        public void MoveAgain() => moving.Set();

        /// <summary>Also when a spec fails: a writer left stalled would hold the test run up for ever.</summary>
        public void Release() => moving.Set();

        public override void Write(char value)
        {
            moving.Wait();
            lock (text) text.Append(value);
        }

        public override void Write(string? value)
        {
            moving.Wait();
            lock (text) text.Append(value);
        }

    }
}
