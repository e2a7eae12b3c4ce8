using System.Text.RegularExpressions;

namespace EdgeSync.Tests.Architecture;

/// <summary>
/// SQL on EdgeSync's own tables (<c>_edgesync_*</c>) lives in <c>src/EdgeSync.Core/Storage/</c> only (docs/design.md,
/// "Folders"): every other source file asks Storage. Checked on the source text of <c>src/</c>, string literals only,
/// so a comment or a <c>&lt;c&gt;_edgesync_log&lt;/c&gt;</c> in a doc comment does not count.
/// </summary>
public sealed partial class StorageOwnsSqlTests
{
    private const string StorageFolder = "src/EdgeSync.Core/Storage/";

    /// <summary>Files outside Storage that may still name EdgeSync's tables in SQL, each with the reason.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["src/EdgeSync.Cli/Internal/Databases.cs"] =
            "the CLI checks, read-only and before opening a file, whether EdgeSync ever set it up (then no site id is needed); "
            + "Core has no public read-only probe for that, and the CLI cannot reach Core's internal Storage",
    };

    [GeneratedRegex(@"_edgesync_[a-z]", RegexOptions.IgnoreCase)]
    private static partial Regex EdgeSyncTable();

    [GeneratedRegex(@"\b(SELECT|INSERT|UPDATE|DELETE|FROM|INTO|JOIN|CREATE|DROP|ALTER|EXISTS|WHERE|PRAGMA)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SqlWord();

    private static string Root { get; } = FindRoot();

    /// <summary>"path:line: literal" for every SQL literal naming an EdgeSync table in <paramref name="source"/>.</summary>
    internal static IEnumerable<string> SqlOnOwnTables(string path, string source) =>
        StringLiterals.Read(source)
            .Where(l => EdgeSyncTable().IsMatch(l.Text) && SqlWord().IsMatch(l.Text))
            .Select(l => $"{path}:{l.Line}: {l.Text.ReplaceLineEndings(" ")}");

    [Fact]
    public void SourceOutsideStorage_NamesNoEdgeSyncTableInSql()
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            var path = Path.GetRelativePath(Root, file).Replace('\\', '/');
            if (path.StartsWith(StorageFolder, StringComparison.Ordinal) || Allowed.ContainsKey(path) || path.Contains("/obj/", StringComparison.Ordinal)
                || path.Contains("/bin/", StringComparison.Ordinal))
            {
                continue;
            }

            found.AddRange(SqlOnOwnTables(path, File.ReadAllText(file)));
        }

        Assert.True(found.Count == 0,
            "SQL on EdgeSync's own tables outside src/EdgeSync.Core/Storage (move it into a Storage type, or allow-list the file "
            + "with a reason in StorageOwnsSqlTests):\n" + string.Join("\n", found));
    }

    [GeneratedRegex(@"\.\s*Db\b")]
    private static partial Regex WriterConnection();

    /// <summary>
    /// The writer connection (<c>SyncStore.Db</c>) stays in Storage: the other folders of Core ask <c>SyncStore</c> or a
    /// Storage type, so every statement on the writer, on EdgeSync's tables or the application's schema, goes through
    /// Storage. Checked on the source text, comment lines left out.
    /// </summary>
    [Fact]
    public void CoreOutsideStorage_NeverTouchesTheWriterConnection()
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "src", "EdgeSync.Core"), "*.cs", SearchOption.AllDirectories))
        {
            var path = Path.GetRelativePath(Root, file).Replace('\\', '/');
            if (path.StartsWith(StorageFolder, StringComparison.Ordinal) || path.Contains("/obj/", StringComparison.Ordinal)
                || path.Contains("/bin/", StringComparison.Ordinal))
            {
                continue;
            }

            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                var code = lines[i].Trim();
                if (!code.StartsWith("//", StringComparison.Ordinal) && WriterConnection().IsMatch(code))
                {
                    found.Add($"{path}:{i + 1}: {code}");
                }
            }
        }

        Assert.True(found.Count == 0, "the writer connection used outside src/EdgeSync.Core/Storage (ask SyncStore or a Storage type):\n"
            + string.Join("\n", found));
    }

    [Fact]
    public void AllowList_NamesFilesThatStillNeedIt()
    {
        foreach (var (path, reason) in Allowed)
        {
            var file = Path.Combine(Root, path);
            Assert.True(File.Exists(file), $"allow-listed file {path} is gone; remove it from the list");
            Assert.True(SqlOnOwnTables(path, File.ReadAllText(file)).Any(), $"{path} no longer names an EdgeSync table in SQL; remove it from the list ({reason})");
        }
    }

    [Fact]
    public void Scanner_FindsSqlInEveryKindOfLiteral_AndIgnoresComments()
    {
        const string Source = """"
            // SELECT * FROM _edgesync_log in a comment
            /// <summary>Reads <c>_edgesync_rows</c>.</summary>
            class C
            {
                string a = "SELECT seq FROM _edgesync_log";
                string b = @"DELETE FROM ""_edgesync_pending""";
                string c = $"UPDATE {Table(", ")} SET x = 1 WHERE tid IN (SELECT tid FROM _edgesync_tables)";
                string d = $"{Quote("_edgesync_")}{id}_";
                string e = "_edgesync_meta";
                char f = '"';
                string g = "INSERT INTO _edgesync_ctx(k) VALUES (1)";
            }
            """";

        var found = SqlOnOwnTables("x.cs", Source).ToList();

        Assert.Equal(4, found.Count);
        Assert.StartsWith("x.cs:5: SELECT seq FROM _edgesync_log", found[0], StringComparison.Ordinal);
        Assert.StartsWith("x.cs:6: DELETE FROM \"_edgesync_pending\"", found[1], StringComparison.Ordinal);
        Assert.StartsWith("x.cs:7: UPDATE {} SET x = 1", found[2], StringComparison.Ordinal);
        Assert.StartsWith("x.cs:11: INSERT INTO _edgesync_ctx", found[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Scanner_ReadsRawAndNestedInterpolatedStrings()
    {
        const string Source = "var s = \"\"\"\n    SELECT 1 FROM _edgesync_sites\n    \"\"\";\nvar t = $\"a {(x ? \"b\" : $\"c{d}\")} e\";\n";

        var literals = StringLiterals.Read(Source);

        Assert.Equal(["\n    SELECT 1 FROM _edgesync_sites\n    ", "b", "c{}", "a {} e"], literals.Select(l => l.Text));
        Assert.Equal([1, 4, 4, 4], literals.Select(l => l.Line));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeSync.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no EdgeSync.slnx above {AppContext.BaseDirectory}");
    }
}
