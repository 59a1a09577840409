using Banking.Gateway.Tests.Support;
using Banking.Testing;

namespace Banking.Gateway.Tests;

[SetUpFixture]
public sealed class RunSetUp : RealServersRun
{
    // Runs before the base class drops the run's virtual hosts.
    [OneTimeTearDown]
    public async Task StopSharedGateway() => await GatewayHost.DisposeSharedAsync();
}
