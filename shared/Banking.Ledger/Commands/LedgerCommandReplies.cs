using MassTransit;

namespace Banking.Ledger.Commands;

public static class LedgerCommandReplies
{
    /// <summary>
    /// How every ledger command ends: the reply is built from the outcome the operation recorded, so a redelivery that
    /// finds the outcome already recorded answers exactly as the delivery that decided it. Published by its runtime type
    /// (AccountDebited or DebitRejected, ...), which is what the saga's events are bound to.
    /// </summary>
    public static async Task PublishOutcomeAsync(this ConsumeContext context, Task<LedgerResult> operation, Func<LedgerResult, object> reply)
    {
        var result = await operation;
        await context.Publish(reply(result), context.CancellationToken);
    }
}
