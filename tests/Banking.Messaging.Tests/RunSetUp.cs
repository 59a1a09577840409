using Banking.Testing;

namespace Banking.Messaging.Tests;

[SetUpFixture]
public sealed class RunSetUp : RealServersRun;
