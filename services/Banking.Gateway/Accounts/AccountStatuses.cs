namespace Banking.Gateway.Accounts;

/// <summary>The seed's ACCT_STATUS letters, spelled out for the API.</summary>
public static class AccountStatuses
{
    public static string Describe(string? status) => status switch
    {
        "A" => "ACTIVE",
        "R" => "RESTRICTED",
        "C" => "CLOSED",
        "F" => "FROZEN",
        "D" => "DORMANT",
        // Anything the ledger does not treat as active restricts the account; say so rather than guess.
        _ => "RESTRICTED",
    };
}
