using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class InitCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Init_TwoTables_PrintsPolicyAndCaptureModePerTable()
    {
        using var app = new AppDatabase(_dir.File("a.db"));

        var result = CliRunner.Run("init", "--db", app.Path, "--site", "factory-001/sqlite-edge-0", "--table", "telemetry=append", "--table", "config=lww");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Equal(
            ["enabled telemetry: policy append, capture rowid-scan", "enabled config: policy lww, capture trigger"],
            result.StdoutLines);
    }

    [Fact]
    public void Init_Again_IsIdempotentAndSaysAlreadyEnabled()
    {
        using var app = new AppDatabase(_dir.File("a.db"));
        CliRunner.Run("init", "--db", app.Path, "--site", "site-a", "--table", "telemetry=append");

        var result = CliRunner.Run("init", "--db", app.Path, "--site", "site-a", "--table", "telemetry=append", "--table", "config=LWW");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal(
            ["already enabled telemetry: policy append, capture rowid-scan", "enabled config: policy lww, capture trigger"],
            result.StdoutLines);
    }

    [Fact]
    public void Init_TableWithoutPrimaryKey_ExitsWithEdgeSyncErrorNamingTheTable()
    {
        using var app = new AppDatabase(_dir.File("a.db"), "CREATE TABLE readings_nopk(device TEXT, ts INTEGER, value REAL);");

        var result = CliRunner.Run("init", "--db", app.Path, "--site", "site-a", "--table", "readings_nopk=append");

        Assert.Equal(ExitCodes.EdgeSyncError, result.ExitCode);
        Assert.StartsWith("edgesync: table 'readings_nopk' has no primary key", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Init_MissingTable_ExitsWithEdgeSyncError()
    {
        using var app = new AppDatabase(_dir.File("a.db"));

        var result = CliRunner.Run("init", "--db", app.Path, "--site", "site-a", "--table", "nope=lww");

        Assert.Equal(ExitCodes.EdgeSyncError, result.ExitCode);
        Assert.Contains("table 'nope' does not exist", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("telemetry=bogus", "unknown table policy 'bogus'; use 'append'")]
    [InlineData("telemetry", "must be NAME=POLICY")]
    [InlineData("=append", "must be NAME=POLICY")]
    public void Init_MalformedTableOption_IsUsageErrorAndChangesNothing(string table, string expected)
    {
        using var app = new AppDatabase(_dir.File("a.db"));

        var result = CliRunner.Run("init", "--db", app.Path, "--site", "site-a", "--table", table);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.StartsWith("edgesync: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0L, app.Scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE '_edgesync%'"));
    }

    [Fact]
    public void Init_MissingDatabaseFile_ExitsWithIoErrorAndCreatesNothing()
    {
        string path = _dir.File("missing.db");

        var result = CliRunner.Run("init", "--db", path, "--site", "site-a", "--table", "telemetry=append");

        Assert.Equal(ExitCodes.IoError, result.ExitCode);
        Assert.Equal($"edgesync: database '{path}' does not exist", result.Stderr.Trim());
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Init_DifferentSiteThanStored_ExitsWithEdgeSyncError()
    {
        using var app = new AppDatabase(_dir.File("a.db"));
        CliRunner.Run("init", "--db", app.Path, "--site", "site-a", "--table", "telemetry=append");

        var result = CliRunner.Run("init", "--db", app.Path, "--site", "site-b", "--table", "config=lww");

        Assert.Equal(ExitCodes.EdgeSyncError, result.ExitCode);
        Assert.Contains("belongs to site 'site-a'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Init_FileThatIsNotADatabase_ExitsWithIoError()
    {
        string path = _dir.File("notes.txt");
        File.WriteAllText(path, "this is not a SQLite database, just some text that is long enough to look like a header. " + new string('x', 200));

        var result = CliRunner.Run("init", "--db", path, "--site", "site-a", "--table", "telemetry=append");

        Assert.Equal(ExitCodes.IoError, result.ExitCode);
        Assert.StartsWith("edgesync: ", result.Stderr, StringComparison.Ordinal);
    }
}
