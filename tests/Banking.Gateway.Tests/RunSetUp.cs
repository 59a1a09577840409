using Banking.Testing;

namespace Banking.Gateway.Tests;

[SetUpFixture]
public sealed class RunSetUp : RealServersRun;
