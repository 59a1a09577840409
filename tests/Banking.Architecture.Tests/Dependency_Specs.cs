using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;

namespace Banking.Architecture.Tests;

/// <summary>
/// The shape that keeps the services apart and the guarantees in one place each (ARCHITECTURE.md, "Where to look").
/// A rule that fails names the types or files that broke it.
/// </summary>
public class Dependency_Specs
{
    [TestCaseSource(typeof(Solution), nameof(Solution.Services))]
    public void A_service_does_not_depend_on_another_service(string service)
    {
        var others = Solution.Services.Where(s => s != service).ToArray();
        var result = Solution.TypesOf(service).ShouldNot().HaveDependencyOnAny(others).GetResult();
        Assert.That(result.FailingTypeNames ?? [], Is.Empty, $"{service} uses another service's types");

        // Namespaces could be borrowed; the assembly references could not.
        var references = ReferencedAssemblies(service);
        Assert.That(references.Intersect(others), Is.Empty, $"{service} references another service");
    }

    [Test]
    public void Contracts_reference_nothing_but_MassTransit_abstractions()
    {
        var references = ReferencedAssemblies("Banking.Contracts")
            .Where(name => !name.StartsWith("System", StringComparison.Ordinal) && name is not ("netstandard" or "mscorlib"));
        Assert.That(references, Is.EquivalentTo(new[] { "MassTransit.Abstractions" }).Or.Empty);

        var result = Solution.TypesOf("Banking.Contracts").ShouldNot()
            .HaveDependencyOnAny("Banking.Ledger", "Banking.Messaging", "Banking.ServiceDefaults", "Microsoft.EntityFrameworkCore", "MySqlConnector")
            .GetResult();
        Assert.That(result.FailingTypeNames ?? [], Is.Empty);
    }

    [Test]
    public void Only_the_messaging_library_touches_MassTransit_outbox_and_saga_repository_types()
    {
        foreach (var project in Solution.Services.Concat(Solution.SharedLibraries).Where(p => p != "Banking.Messaging"))
        {
            var result = Solution.TypesOf(project).ShouldNot().HaveDependencyOnAny(OutboxAndSagaMachinery).GetResult();
            Assert.That(result.FailingTypeNames ?? [], Is.Empty, $"{project} reaches into MassTransit's outbox or saga machinery");
        }
    }

    [Test]
    public void Only_the_ledger_operations_write_balances()
    {
        var offenders = Solution.ProductionSources()
            .Where(path => BalanceWrites.IsMatch(File.ReadAllText(path)))
            .Select(Solution.Relative)
            .Where(path => path != "shared/Banking.Ledger/LedgerStores.cs");
        Assert.That(offenders, Is.Empty, "SQL that changes rb_acct_balance outside the ledger's stores (LedgerStores.cs, run by LedgerOperations)");

        // The EF entity of rb_acct_balance is the ledger library's alone (it seeds demo accounts with it).
        foreach (var project in Solution.Services.Concat(Solution.SharedLibraries).Where(p => p != "Banking.Ledger"))
        {
            var result = Solution.TypesOf(project).ShouldNot().HaveDependencyOn("Banking.Ledger.Data.AccountBalanceRow").GetResult();
            Assert.That(result.FailingTypeNames ?? [], Is.Empty, $"{project} uses the rb_acct_balance entity");
        }
    }

    // A rule that can see nothing passes for the wrong reason: each of these must find what is really there.
    [Test]
    public void The_rules_see_real_dependencies()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Solution.TypesOf("Banking.Messaging").ShouldNot().HaveDependencyOn("MassTransit.Middleware.IOutboxContextFactory`1").GetResult().IsSuccessful,
                Is.False, "Banking.Messaging implements MassTransit's outbox context factory, and the check must see it");
            Assert.That(Solution.TypesOf("Banking.Messaging").ShouldNot().HaveDependencyOn("MassTransit.Saga").GetResult().IsSuccessful,
                Is.False, "Banking.Messaging implements the saga repository, and the check must see it");
            Assert.That(Solution.TypesOf("Banking.Messaging").ShouldNot().HaveDependencyOnAny(OutboxAndSagaMachinery).GetResult().IsSuccessful,
                Is.False, "the outbox rule sees the library that is allowed to break it");
            Assert.That(Solution.TypesOf("Banking.DebitService").ShouldNot().HaveDependencyOn("Banking.Ledger").GetResult().IsSuccessful,
                Is.False, "DebitService uses the ledger library, and the check must see it");
            Assert.That(ReferencedAssemblies("Banking.Orchestrator"), Does.Contain("Banking.Contracts"));
            Assert.That(BalanceWrites.IsMatch(File.ReadAllText(Path.Combine(Solution.Root, "shared/Banking.Ledger/LedgerStores.cs"))), Is.True,
                "the balance-write pattern finds the UPDATE in the ledger's stores");
        });
    }

    // The outbox/inbox pipeline and the saga repository's extension points (namespaces, or types by their full
    // metadata names); other middleware (a consume filter, a move to the error queue) is fair game for any library.
    private static readonly string[] OutboxAndSagaMachinery =
    [
        "MassTransit.Middleware.Outbox", "MassTransit.Saga",
        "MassTransit.Middleware.IOutboxContextFactory`1", "MassTransit.Middleware.OutboxConsumeContext", "MassTransit.Middleware.OutboxConsumeContext`1",
        "MassTransit.Middleware.OutboxConsumeFilter`2", "MassTransit.Middleware.OutboxMessagePipe`1", "MassTransit.Middleware.OutboxMessageSendPipe",
        "MassTransit.Middleware.OutboxConsumeOptions", "MassTransit.Middleware.OutboxMessageContext", "MassTransit.Middleware.OutboxSendContext",
        "MassTransit.Configuration.OutboxConsumePipeSpecificationObserver`1", "MassTransit.Context.ConsumeContextScope", "MassTransit.Context.ConsumeContextScope`1",
    ];

    private static readonly Regex BalanceWrites = new(@"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM|REPLACE\s+INTO)\s+`?rb_acct_balance\b", RegexOptions.IgnoreCase);

    private static IReadOnlyList<string> ReferencedAssemblies(string project)
    {
        using var stream = File.OpenRead(Solution.AssemblyPath(project));
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences.Select(handle => metadata.GetString(metadata.GetAssemblyReference(handle).Name)).ToList();
    }
}
