using Banking.Gateway.Tests.Support;

namespace Banking.Security.Tests.Gateway;

/// <summary>The gateway specs share one gateway host; it is stopped before the run drops its virtual hosts.</summary>
[SetUpFixture]
public sealed class GatewayRun
{
    [OneTimeTearDown]
    public async Task StopSharedGateway() => await GatewayHost.DisposeSharedAsync();
}
