using Banking.Testing;

namespace Banking.Security.Tests;

/// <summary>
/// Each spec in this project replays an attack that was tried on the running platform (issue 15) and shows it
/// refused, with nothing moved.
/// </summary>
[SetUpFixture]
public sealed class RunSetUp : RealServersRun;
