using Banking.Testing;

namespace Banking.Dashboard.Tests;

[SetUpFixture]
public sealed class RunSetUp : RealServersRun;
