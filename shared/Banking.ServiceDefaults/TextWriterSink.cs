using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Banking.ServiceDefaults;

/// <summary>One JSON object per line to stdout, or to the writer a test passes in.</summary>
internal sealed class TextWriterSink(ITextFormatter formatter, TextWriter output) : ILogEventSink
{
    private readonly Lock gate = new();

    public void Emit(LogEvent logEvent)
    {
        lock (gate)
        {
            formatter.Format(logEvent, output);
            output.Flush();
        }
    }
}
