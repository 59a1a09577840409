using Banking.Testing;

namespace Banking.FaultSuite.Tests;

[SetUpFixture]
public sealed class RunSetUp : RealServersRun;
