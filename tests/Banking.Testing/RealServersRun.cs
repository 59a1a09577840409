using NUnit.Framework;

namespace Banking.Testing;

/// <summary>
/// Derive one <c>[SetUpFixture]</c> per test assembly from this class: it starts (or finds) the real
/// servers once and drops the run's databases and virtual hosts when the assembly is done.
/// </summary>
public abstract class RealServersRun
{
    [OneTimeSetUp]
    public async Task StartServers() => await RealServers.GetAsync();

    [OneTimeTearDown]
    public async Task CleanUp() => await (await RealServers.GetAsync()).CleanUpAsync();
}
