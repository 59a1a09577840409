using Banking.Testing;

namespace Banking.Security.Tests.Saga;

/// <summary>The saga specs' common ground: the shared platform, and a listener on the outcomes its senders are told.</summary>
public abstract class SagaPlatformSpecs
{
    protected TransferPlatform platform = null!;
    protected OutcomeListener outcomes = null!;

    [OneTimeSetUp]
    public async Task StartPlatformAndListener()
    {
        platform = await SagaPlatform.GetAsync();
        outcomes = await OutcomeListener.StartAsync(platform.Broker);
    }

    [OneTimeTearDown]
    public async Task StopListener() => await outcomes.DisposeAsync();
}
