namespace Banking.Gateway;

public static class TransferHeaders
{
    /// <summary>Set on every answer to a request whose reference had been seen with the same body.</summary>
    public const string IdempotentReplayed = "Idempotent-Replayed";
}
