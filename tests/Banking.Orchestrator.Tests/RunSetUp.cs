using Banking.Testing;

namespace Banking.Orchestrator.Tests;

[SetUpFixture]
public sealed class RunSetUp : RealServersRun;
