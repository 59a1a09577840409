using Banking.Contracts;

namespace Banking.CreditService;

public static class CreditServiceExtensions
{
    /// <summary>CreditService owns DB2 (<c>bank_db2</c>): credits and their cancels, and DB2's balances.</summary>
    public static IHostApplicationBuilder AddCreditService(this IHostApplicationBuilder builder) =>
        builder.AddLedgerService(LedgerDatabaseId.Db2, Endpoints.CreditLedger, Endpoints.CreditQueries, bus =>
        {
            bus.AddConsumer<CreditAccountConsumer, LedgerCommandConsumerDefinition<CreditAccountConsumer>>();
            bus.AddConsumer<CancelCreditConsumer, LedgerCommandConsumerDefinition<CancelCreditConsumer>>();
        });
}
