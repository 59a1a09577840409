namespace Banking.ServiceDefaults;

/// <summary>
/// The broker named by <c>ConnectionStrings:RabbitMq</c>, an AMQP URI in RabbitMQ's own format:
/// <c>amqp://user:password@host:port/vhost</c> (<c>amqps://</c> for TLS; percent-encode a <c>/</c> in the vhost as <c>%2F</c>).
/// </summary>
public sealed record RabbitMqAddress(string Host, ushort Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    public static RabbitMqAddress Parse(string? uri)
    {
        if (string.IsNullOrWhiteSpace(uri)) throw new FormatException("ConnectionStrings:RabbitMq is not set.");
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var address) || address.Scheme is not ("amqp" or "amqps") || address.Host.Length == 0)
        {
            throw new FormatException("ConnectionStrings:RabbitMq must be an AMQP URI such as amqp://user:password@127.0.0.1:5672/banking.");
        }

        var useTls = address.Scheme == "amqps";
        var port = address.Port > 0 ? address.Port : useTls ? 5671 : 5672;

        // As in RabbitMQ's URI spec the path is the vhost; no path means the default vhost "/".
        var path = address.AbsolutePath.TrimStart('/');
        var virtualHost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);

        var userInfo = address.UserInfo.Split(':', 2);
        var username = userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest";
        var password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest";

        return new RabbitMqAddress(address.Host, (ushort)port, virtualHost, username, password, useTls);
    }

    // Never print the password.
    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}
