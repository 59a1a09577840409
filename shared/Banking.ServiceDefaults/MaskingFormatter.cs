using System.Text.RegularExpressions;
using Serilog.Events;
using Serilog.Formatting;

namespace Banking.ServiceDefaults;

/// <summary>
/// Wraps the JSON formatter so that no log line leaves the process with a secret or a whole account number in it,
/// whichever way it got in: the message, a property, a scope, an exception's text. Free text is masked for 12–32-digit
/// runs; a property whose name says it is an account number (AccountNo, FromAccount, to_account, ...) is masked
/// whatever its length, since account numbers run from 1 to 32 digits and only the name tells a short one from a count.
/// </summary>
internal sealed partial class MaskingFormatter(ITextFormatter inner) : ITextFormatter
{
    private const string Redacted = "***";

    // A bearer token pasted into a message or an exception has no property name to recognise it by.
    [GeneratedRegex(@"(?<=\bBearer\s+)[A-Za-z0-9\-._~+/]+=*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BearerToken();

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var buffer = new StringWriter();
        inner.Format(WithSecretsRedacted(logEvent), buffer);

        // The span id is hex and is all digits about once in 1,800 spans; it must stay searchable.
        var line = AccountMasking.MaskAll(buffer.ToString(), keep: logEvent.SpanId?.ToHexString());
        output.Write(BearerToken().Replace(line, Redacted));
    }

    internal static bool IsAccountNumberName(string name)
    {
        var normalized = name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return normalized.EndsWith("account", StringComparison.OrdinalIgnoreCase)
            || normalized.EndsWith("accountno", StringComparison.OrdinalIgnoreCase)
            || normalized.EndsWith("accountnumber", StringComparison.OrdinalIgnoreCase)
            || normalized.EndsWith("acctno", StringComparison.OrdinalIgnoreCase);
    }

    internal static bool IsSecretName(string name)
    {
        var normalized = name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        return normalized.Contains("token", StringComparison.OrdinalIgnoreCase)
            || normalized.Contains("password", StringComparison.OrdinalIgnoreCase)
            || normalized.Contains("secret", StringComparison.OrdinalIgnoreCase)
            || normalized.Contains("apikey", StringComparison.OrdinalIgnoreCase)
            || normalized.Contains("authorization", StringComparison.OrdinalIgnoreCase);
    }

    // Redacting before formatting (not after) also hides the value where the template renders it into the message.
    private static LogEvent WithSecretsRedacted(LogEvent logEvent)
    {
        var changed = false;
        var properties = new List<LogEventProperty>(logEvent.Properties.Count);
        foreach (var (name, value) in logEvent.Properties)
        {
            var redacted = ByName(name, value);
            changed |= !ReferenceEquals(redacted, value);
            properties.Add(new LogEventProperty(name, redacted));
        }

        if (!changed) return logEvent;
        return new LogEvent(logEvent.Timestamp, logEvent.Level, logEvent.Exception, logEvent.MessageTemplate, properties,
            logEvent.TraceId ?? default, logEvent.SpanId ?? default);
    }

    private static LogEventPropertyValue ByName(string name, LogEventPropertyValue value)
    {
        if (IsSecretName(name)) return new ScalarValue(Redacted);
        if (IsAccountNumberName(name) && MaskedAccountNumber(value) is { } masked) return masked;
        return Redact(value);
    }

    // An account number logged as a string or as an integer; other values under such a name (a ledger's name) stay.
    private static ScalarValue? MaskedAccountNumber(LogEventPropertyValue value)
    {
        var text = value switch
        {
            ScalarValue { Value: string s } => s,
            ScalarValue { Value: long or int or ulong or uint or decimal } scalar => Convert.ToString(scalar.Value, System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
        if (text is not { Length: > 0 and <= 32 } || !text.All(char.IsAsciiDigit)) return null;
        return new ScalarValue(AccountMasking.Mask(text));
    }

    // Returns the same instance when nothing inside is secret, so ordinary events are not copied.
    private static LogEventPropertyValue Redact(LogEventPropertyValue value)
    {
        switch (value)
        {
            case StructureValue structure:
            {
                var changed = false;
                var properties = structure.Properties.Select(p =>
                {
                    var redacted = ByName(p.Name, p.Value);
                    changed |= !ReferenceEquals(redacted, p.Value);
                    return new LogEventProperty(p.Name, redacted);
                }).ToList();
                return changed ? new StructureValue(properties, structure.TypeTag) : value;
            }
            case DictionaryValue dictionary:
            {
                var changed = false;
                var elements = dictionary.Elements.Select(e =>
                {
                    var redacted = e.Key.Value is string key ? ByName(key, e.Value) : Redact(e.Value);
                    changed |= !ReferenceEquals(redacted, e.Value);
                    return new KeyValuePair<ScalarValue, LogEventPropertyValue>(e.Key, redacted);
                }).ToList();
                return changed ? new DictionaryValue(elements) : value;
            }
            case SequenceValue sequence:
            {
                var elements = sequence.Elements.Select(Redact).ToList();
                return elements.Where((e, i) => !ReferenceEquals(e, sequence.Elements[i])).Any() ? new SequenceValue(elements) : value;
            }
            default:
                return value;
        }
    }
}
