using System.Diagnostics;
using System.Reflection;
using MassTransit;

namespace Banking.ServiceDefaults;

/// <summary>
/// Tags the consume span with the transfer a message is about (every contract names it <c>TransferId</c>). The log
/// enricher reads the tag from the current span or its parents, so every line the consume writes, the framework's own
/// included, carries <c>transfer_id</c> beside <c>trace_id</c>; the trace carries it too.
/// </summary>
public sealed class TransferIdLogFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly Func<T, string?>? TransferIdOf = typeof(T).GetProperty("TransferId", BindingFlags.Public | BindingFlags.Instance) is { PropertyType: var type, GetMethod: { } getter } && type == typeof(string)
        ? getter.CreateDelegate<Func<T, string?>>()
        : null;

    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var transferId = TransferIdOf?.Invoke(context.Message);
        if (!string.IsNullOrEmpty(transferId)) Activity.Current?.SetTag(BankingTelemetry.TransferIdTag, transferId);
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("transferIdLog");
}
