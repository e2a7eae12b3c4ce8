namespace EdgeSync.Tests.Architecture;

/// <summary>
/// The folders of EdgeSync.Core depend one way (docs/design.md, "Folders"). Checked on the compiled assembly, so a
/// dependency through a fully qualified name, a lambda or a generic argument counts as much as a using directive.
/// </summary>
public sealed class FolderRuleTests
{
    private static readonly Dictionary<string, HashSet<string>> Core = AssemblyDependencies.Read(typeof(SyncDatabase).Assembly.Location);

    private static Dictionary<string, HashSet<string>> Graph(params (string From, string To)[] edges) =>
        edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    [Fact]
    public void CoreAssembly_UsesOnlyAllowedFolders()
    {
        var violations = FolderRule.Violations(Core);

        Assert.True(violations.Count == 0,
            $"forbidden folder dependencies in EdgeSync.Core: {string.Join("; ", violations)} (the rule is in docs/design.md and FolderRule.cs)");
    }

    [Fact]
    public void CoreAssembly_HasNoFolderCycle()
    {
        Assert.Null(FolderRule.FindCycle(Core));
    }

    [Fact]
    public void CoreAssembly_EveryFolderIsCoveredByTheRule()
    {
        var unknown = Core.Keys.Select(FolderRule.FolderOf).Where(f => f != FolderRule.Root && !FolderRule.Allowed.ContainsKey(f)).ToList();

        Assert.True(unknown.Count == 0, $"folders the rule does not mention (add them to FolderRule and docs/design.md): {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Reader_SeesDependenciesInSignaturesAndMethodBodies()
    {
        // Apply's entry point takes a Protocol batch (signature); the compactor calls into Storage (body).
        Assert.Contains("EdgeSync.Protocol", Core["EdgeSync.Apply"]);
        Assert.Contains("EdgeSync.Storage", Core["EdgeSync.Compaction"]);
        Assert.Contains("EdgeSync.Capture", Core["EdgeSync.Apply"]);
        Assert.Contains("EdgeSync.Apply", Core["EdgeSync"]);
    }

    [Fact]
    public void Violations_ReportAForbiddenDependency()
    {
        var graph = Graph(("EdgeSync.Capture", "EdgeSync.Storage"), ("EdgeSync.Storage", "EdgeSync.Capture"), ("EdgeSync.Merge", "EdgeSync"));

        Assert.Equal(["Merge → EdgeSync", "Storage → Capture"], FolderRule.Violations(graph));
    }

    [Fact]
    public void Violations_AcceptAllowedDependencies_AndAnUnknownFolderIsForbidden()
    {
        Assert.Empty(FolderRule.Violations(Graph(("EdgeSync.Apply", "EdgeSync.Merge"), ("EdgeSync", "EdgeSync.Apply"))));
        Assert.Equal(["Sync → Storage"], FolderRule.Violations(Graph(("EdgeSync.Sync", "EdgeSync.Storage"))));
    }

    [Fact]
    public void FindCycle_NamesTheFoldersOfACycle()
    {
        var graph = Graph(("EdgeSync.Capture", "EdgeSync.Storage"), ("EdgeSync.Storage", "EdgeSync.Clocks"), ("EdgeSync.Clocks", "EdgeSync.Capture"));

        Assert.Equal("Capture → Storage → Clocks → Capture", FolderRule.FindCycle(graph));
        Assert.Null(FolderRule.FindCycle(Graph(("EdgeSync.Capture", "EdgeSync.Storage"), ("EdgeSync.Storage", "EdgeSync.Clocks"))));
    }

    [Fact]
    public void AllowedRule_HasNoCycle()
    {
        var rule = FolderRule.Allowed.ToDictionary(e => "EdgeSync." + e.Key, e => e.Value.Select(v => "EdgeSync." + v).ToHashSet(StringComparer.Ordinal));

        Assert.Null(FolderRule.FindCycle(rule));
    }
}
