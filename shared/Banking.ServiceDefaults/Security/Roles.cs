namespace Banking.ServiceDefaults.Security;

/// <summary>The roles a token or API key may carry, and the claim names both use.</summary>
public static class Roles
{
    /// <summary>A bank customer: only accounts whose CLIENT_NO is in its token.</summary>
    public const string Customer = "customer";

    /// <summary>A channel app acting on behalf of customers: any account.</summary>
    public const string Channel = "channel";

    public const string Operator = "operator";
    public const string Auditor = "auditor";
    public const string Admin = "admin";

    public static readonly IReadOnlySet<string> All = new HashSet<string>([Customer, Channel, Operator, Auditor, Admin], StringComparer.Ordinal);

    /// <summary>Who may move money: customers (own accounts) and channels.</summary>
    public static readonly string[] TransferWriters = [Customer, Channel];

    /// <summary>Who may read transfers and balances: customers (own accounts) and every staff role.</summary>
    public static readonly string[] Readers = [Customer, Channel, Operator, Auditor, Admin];
}

public static class BankingClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Role = "role";
    public const string ClientNo = "client_no";

    /// <summary><c>jwt</c> or <c>api_key</c>.</summary>
    public const string AuthMethod = "amr";
}

public static class Policies
{
    public const string TransferWriters = "transfer-writers";
    public const string Readers = "readers";
    public const string Operators = "operators";
}
