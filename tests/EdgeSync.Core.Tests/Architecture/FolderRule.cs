namespace EdgeSync.Tests.Architecture;

/// <summary>
/// The folder rule of EdgeSync.Core (docs/design.md, "Folders"): which folder (namespace) may use which. Folders
/// depend one way, so the allowed graph has no cycle; anything not listed is forbidden.
/// </summary>
internal static class FolderRule
{
    /// <summary>The namespace of SyncDatabase: composes every folder, and no folder uses it.</summary>
    public const string Root = "EdgeSync";

    /// <summary>Folder → the folders it may use.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["Errors"] = [],
        ["Diagnostics"] = [],
        ["Clocks"] = ["Errors"],
        ["Merge"] = ["Clocks", "Errors"],
        ["Internal"] = ["Merge", "Clocks", "Errors"],
        ["Schema"] = ["Internal", "Errors"],
        ["Protocol"] = ["Merge", "Clocks", "Internal", "Errors"],
        ["Storage"] = ["Schema", "Merge", "Clocks", "Internal", "Errors"],
        ["Capture"] = ["Storage", "Schema", "Merge", "Clocks", "Internal", "Errors", "Diagnostics"],
        ["Extract"] = ["Protocol", "Storage", "Schema", "Merge", "Clocks", "Internal", "Errors", "Diagnostics"],
        ["Apply"] = ["Capture", "Protocol", "Storage", "Schema", "Merge", "Clocks", "Internal", "Errors", "Diagnostics"],
        ["Compaction"] = ["Storage", "Clocks", "Internal", "Errors", "Diagnostics"],
        ["Backup"] = ["Storage", "Internal", "Errors"],
        ["Verify"] = ["Internal", "Errors"],
    };

    /// <summary>Every use in <paramref name="graph"/> (namespace → namespaces it uses) that the rule forbids, as "A → B".</summary>
    public static IReadOnlyList<string> Violations(IReadOnlyDictionary<string, HashSet<string>> graph)
    {
        var found = new List<string>();
        foreach (var (from, uses) in graph.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            string folder = FolderOf(from);
            foreach (var to in uses.Select(FolderOf).Where(t => t != folder).Distinct().Order(StringComparer.Ordinal))
            {
                bool ok = folder == Root
                    ? to != Root
                    : Allowed.TryGetValue(folder, out var may) && may.Contains(to, StringComparer.Ordinal);
                if (!ok)
                {
                    found.Add($"{folder} → {to}");
                }
            }
        }

        return found;
    }

    /// <summary>A cycle among folders of <paramref name="graph"/> as "A → B → … → A", or null when there is none.</summary>
    public static string? FindCycle(IReadOnlyDictionary<string, HashSet<string>> graph)
    {
        var edges = graph.GroupBy(e => FolderOf(e.Key))
            .ToDictionary(g => g.Key, g => g.SelectMany(e => e.Value).Select(FolderOf).Where(t => t != g.Key).ToHashSet(StringComparer.Ordinal));
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();
        foreach (var start in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        string? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 1)
            {
                return string.Join(" → ", path.Skip(path.IndexOf(node)).Append(node));
            }

            if (state.GetValueOrDefault(node) == 2)
            {
                return null;
            }

            state[node] = 1;
            path.Add(node);
            foreach (var next in edges.GetValueOrDefault(node, []).Order(StringComparer.Ordinal))
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    /// <summary>"EdgeSync.Storage" → "Storage"; "EdgeSync.Storage.Sub" → "Storage"; "EdgeSync" → "EdgeSync".</summary>
    public static string FolderOf(string ns) =>
        ns.StartsWith(Root + ".", StringComparison.Ordinal) ? ns[(Root.Length + 1)..].Split('.')[0] : ns;
}
