using Banking.Contracts;

namespace Banking.DebitService;

public static class DebitServiceExtensions
{
    /// <summary>DebitService owns DB1 (<c>bank_db1</c>): debits, their reversals and cancels, and DB1's balances.</summary>
    public static IHostApplicationBuilder AddDebitService(this IHostApplicationBuilder builder) =>
        builder.AddLedgerService(LedgerDatabaseId.Db1, Endpoints.DebitLedger, Endpoints.DebitQueries, bus =>
        {
            bus.AddConsumer<DebitAccountConsumer, LedgerCommandConsumerDefinition<DebitAccountConsumer>>();
            bus.AddConsumer<ReverseDebitConsumer, LedgerCommandConsumerDefinition<ReverseDebitConsumer>>();
            bus.AddConsumer<CancelDebitConsumer, LedgerCommandConsumerDefinition<CancelDebitConsumer>>();
        });
}
