using Banking.ServiceDefaults;

namespace Banking.Foundation.Tests.ServiceDefaults;

public class RabbitMqAddress_Specs
{
    [Test]
    public void Reads_user_password_host_port_and_vhost()
    {
        var address = RabbitMqAddress.Parse("amqp://banking:s%40cret@127.0.0.1:15673/banking");

        Assert.That(address, Is.EqualTo(new RabbitMqAddress("127.0.0.1", 15673, "banking", "banking", "s@cret", UseTls: false)));
    }

    [TestCase("amqp://rabbit", 5672, "/")]
    [TestCase("amqp://rabbit/", 5672, "/")]
    [TestCase("amqp://rabbit:5673/%2F", 5673, "/")]
    [TestCase("amqps://rabbit/prod%2Fbank", 5671, "prod/bank")]
    public void Defaults_follow_the_amqp_uri_spec(string uri, int port, string virtualHost)
    {
        var address = RabbitMqAddress.Parse(uri);

        Assert.Multiple(() =>
        {
            Assert.That(address.Port, Is.EqualTo(port));
            Assert.That(address.VirtualHost, Is.EqualTo(virtualHost));
            Assert.That(address.Username, Is.EqualTo("guest"));
            Assert.That(address.UseTls, Is.EqualTo(uri.StartsWith("amqps", StringComparison.Ordinal)));
        });
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("rabbit:5672")]
    [TestCase("http://rabbit:5672/")]
    public void Anything_but_an_amqp_uri_is_refused(string? uri) =>
        Assert.Throws<FormatException>(() => RabbitMqAddress.Parse(uri));

    [Test]
    public void Printing_it_never_shows_the_password() =>
        Assert.That(RabbitMqAddress.Parse("amqp://banking:hunter2@rabbit/banking").ToString(), Does.Not.Contain("hunter2"));
}
