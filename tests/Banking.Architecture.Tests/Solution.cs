using System.Reflection;
using NetArchTest.Rules;

namespace Banking.Architecture.Tests;

/// <summary>The solution's assemblies, read from the build output of the same configuration as this test.</summary>
internal static class Solution
{
    public static readonly string Root = FindRoot();

    private static readonly string Configuration = typeof(Solution).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BuildConfiguration").Value!;

    public static readonly string[] Services = ["Banking.Gateway", "Banking.Orchestrator", "Banking.DebitService", "Banking.CreditService"];

    public static readonly string[] SharedLibraries = ["Banking.Contracts", "Banking.Ledger", "Banking.Messaging", "Banking.ServiceDefaults"];

    public static string AssemblyPath(string project)
    {
        var folder = Services.Contains(project) ? "services" : "shared";
        var path = Path.Combine(Root, folder, project, "bin", Configuration, "net10.0", project + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{project} is not built ({path}); build the solution first", path);
        return path;
    }

    public static Types TypesOf(string project) => Types.FromFile(AssemblyPath(project));

    /// <summary>The C# files of the deployed code (services and shared), without generated migrations.</summary>
    public static IEnumerable<string> ProductionSources() =>
        new[] { "services", "shared" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                           && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                           && !path.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}"));

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Banking.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Banking.sln not found above " + AppContext.BaseDirectory);
    }
}
