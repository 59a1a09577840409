using Banking.Testing;

namespace Banking.Ledger.Tests;

[SetUpFixture]
public sealed class RunSetUp : RealServersRun;
