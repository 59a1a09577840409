using System.Diagnostics;
using System.Reflection;
using MassTransit;
using SerilogLogContext = Serilog.Context.LogContext;

namespace Banking.ServiceDefaults;

/// <summary>
/// Tags the consume span and the log context with the transfer a message is about (every contract names it
/// <c>TransferId</c>), so every line the consume writes, the framework's own included, carries <c>transfer_id</c>
/// beside <c>trace_id</c>.
/// </summary>
public sealed class TransferIdLogFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly Func<T, string?>? TransferIdOf = typeof(T).GetProperty("TransferId", BindingFlags.Public | BindingFlags.Instance) is { PropertyType: var type, GetMethod: { } getter } && type == typeof(string)
        ? getter.CreateDelegate<Func<T, string?>>()
        : null;

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var transferId = TransferIdOf?.Invoke(context.Message);
        if (string.IsNullOrEmpty(transferId))
        {
            await next.Send(context);
            return;
        }

        Activity.Current?.SetTag(BankingTelemetry.TransferIdTag, transferId);
        using (SerilogLogContext.PushProperty(BankingTelemetry.TransferIdLogProperty, transferId))
        {
            await next.Send(context);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("transferIdLog");
}
