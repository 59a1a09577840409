namespace Banking.ServiceDefaults;

/// <summary>Whom this service trusts for the servers it connects to (configuration section <c>Tls</c>).</summary>
public sealed class TlsOptions
{
    public const string Section = "Tls";

    /// <summary>
    /// The certificate (PEM or DER file) of the authority that signed the servers' certificates. When set, RabbitMQ
    /// (<c>amqps://</c>) and Redis (<c>ssl=true</c>) are trusted only if their chain ends at this authority, never at one
    /// of the machine's roots. Empty: the machine's trust store, as for any other server. MySQL names its authority in the
    /// connection string (<c>SslMode=VerifyFull;SslCa=...</c>), which MySqlConnector reads itself.
    /// </summary>
    public string CaCertificate { get; set; } = "";
}
