using Banking.ServiceDefaults;
namespace Banking.Gateway.Errors;

/// <summary>A dependency (broker, orchestrator, ledgers) did not answer in time: the request ends with 503.</summary>
public sealed class ServiceUnavailableException(string message, Exception? inner = null, IReadOnlyDictionary<string, object?>? details = null)
    : Exception(message, inner)
{
    public IReadOnlyDictionary<string, object?>? Details { get; } = details;
}
