using Banking.Testing;

namespace Banking.Foundation.Tests;

[SetUpFixture]
public sealed class RunSetUp : RealServersRun;
