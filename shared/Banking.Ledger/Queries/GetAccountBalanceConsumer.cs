using System.Data.Common;
using Banking.Contracts.Accounts;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using LedgerDbContext = Banking.Ledger.Data.LedgerDbContext;

namespace Banking.Ledger.Queries;

/// <summary>Answers balance questions for the accounts of this ledger, from what is committed.</summary>
public sealed class GetAccountBalanceConsumer(LedgerDbContext db) : IConsumer<GetAccountBalance>
{
    public async Task Consume(ConsumeContext<GetAccountBalance> context)
    {
        var account = await ReadAsync(context.Message.AccountNo, context.CancellationToken);
        await context.RespondAsync(account is null
            ? new AccountBalance { AccountNo = context.Message.AccountNo, Found = false }
            : new AccountBalance
            {
                AccountNo = account.AccountNo,
                Found = true,
                Balance = account.Balance,
                Currency = account.Currency,
                Status = account.Status,
                ClientNo = account.ClientNo,
                LastUpdatedUtc = account.LastChangeUtc,
            });
    }

    /// <summary>The account's balance as committed; null when this ledger does not hold the account.</summary>
    public async Task<CommittedAccount?> ReadAsync(string accountNo, CancellationToken cancellationToken = default)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = """
            SELECT a.CLIENT_NO, a.ACCT_CCY, a.ACCT_STATUS, b.TOTAL_AMOUNT, b.LAST_CHANGE_DATE, a.ACCT_NAME
            FROM rb_acct a JOIN rb_acct_balance b ON b.INTERNAL_KEY = a.INTERNAL_KEY
            WHERE a.BASE_ACCT_NO = @account ORDER BY a.INTERNAL_KEY LIMIT 1
            """;
        Add(command, "@account", accountNo);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            return new CommittedAccount(accountNo, reader.GetString(0), reader.IsDBNull(1) ? "CNY" : reader.GetString(1),
                reader.IsDBNull(2) ? "A" : reader.GetString(2), reader.IsDBNull(3) ? 0m : reader.GetDecimal(3),
                reader.IsDBNull(4) ? null : DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc),
                reader.IsDBNull(5) ? null : reader.GetString(5));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>An account and its balance as committed in this ledger, read without a lock (the operations lock theirs).</summary>
public sealed record CommittedAccount(string AccountNo, string ClientNo, string Currency, string Status, decimal Balance, DateTime? LastChangeUtc, string? Name);
