using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class SyncCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Sync_TwoFiles_ConvergeWithRowsVisibleToPlainSql()
    {
        using var a = Replica("a.db", "factory-001/sqlite-edge-0");
        using var b = Replica("b.db", "factory-001/sqlite-edge-1");
        for (int i = 1; i <= 300; i++)
        {
            a.Exec("INSERT INTO telemetry VALUES ($1, 'dev-a', $2, 1.5)", i, i * 10);
            b.Exec("INSERT INTO telemetry VALUES ($1, 'dev-b', $2, 2.5)", 1_000_000 + i, i * 10);
        }

        a.Exec("INSERT INTO config VALUES ('mode', 'auto', 'a')");
        b.Exec("INSERT INTO config VALUES ('speed', '10', 'b')");

        var result = CliRunner.Run("sync", "--db", a.Path, "--with", b.Path);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains(result.StdoutLines, l => l.StartsWith($"pull  {b.Path} -> {a.Path}: 301 rows applied", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => l.StartsWith($"push  {a.Path} -> {b.Path}: 301 rows applied", StringComparison.Ordinal));
        Assert.Contains("in sync: both hold the same changes", result.StdoutLines);
        Assert.Equal(600L, a.Scalar("SELECT count(*) FROM telemetry"));
        Assert.Equal(600L, b.Scalar("SELECT count(*) FROM telemetry"));
        Assert.Equal("10", a.Scalar("SELECT value FROM config WHERE key = 'speed'"));
        Assert.Equal("auto", b.Scalar("SELECT value FROM config WHERE key = 'mode'"));
        Assert.Equal(a.Checksum(), b.Checksum());
    }

    [Fact]
    public void Sync_Repeated_AppliesNothingTheSecondTime()
    {
        using var a = Replica("a.db", "site-a");
        using var b = Replica("b.db", "site-b");
        a.Exec("INSERT INTO config VALUES ('mode', 'auto', 'a')");
        CliRunner.Run("sync", "--db", a.Path, "--with", b.Path);
        b.Exec("UPDATE config SET value = 'manual' WHERE key = 'mode'");

        var second = CliRunner.Run("sync", "--db", b.Path, "--with", a.Path);
        var third = CliRunner.Run("sync", "--db", b.Path, "--with", a.Path);

        Assert.Contains(second.StdoutLines, l => l.StartsWith($"push  {b.Path} -> {a.Path}: 1 rows applied", StringComparison.Ordinal));
        Assert.All(third.StdoutLines.Where(l => l.StartsWith("pu", StringComparison.Ordinal)), l => Assert.Contains(": 0 rows applied", l, StringComparison.Ordinal));
        Assert.Equal("manual", a.Scalar("SELECT value FROM config WHERE key = 'mode'"));
        Assert.Equal(a.Checksum(), b.Checksum());
    }

    [Fact]
    public void Sync_LargeBacklog_ConvergesAcrossManyBatches()
    {
        using var a = Replica("a.db", "site-a");
        using var b = Replica("b.db", "site-b");
        a.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
            + "INSERT INTO telemetry SELECT i, 'dev-' || (i % 10), i, i * 0.5 FROM n");
        a.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) "
            + "INSERT INTO config SELECT 'key-' || i, 'v' || i, 'a' FROM n");

        var result = CliRunner.Run("sync", "--db", b.Path, "--with", a.Path);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains(result.StdoutLines, l => l.StartsWith($"pull  {a.Path} -> {b.Path}: 32,000 rows applied", StringComparison.Ordinal));
        Assert.Equal(20000L, b.Scalar("SELECT count(*) FROM telemetry"));
        Assert.Equal(a.Checksum(), b.Checksum());
    }

    [Fact]
    public void Sync_SameFileTwice_IsUsageError()
    {
        using var a = Replica("a.db", "site-a");

        var result = CliRunner.Run("sync", "--db", a.Path, "--with", a.Path);

        Assert.Equal(ExitCodes.UsageError, result.ExitCode);
        Assert.Contains("same file", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sync_CopiedFileWithSameSiteId_IsRefused()
    {
        using (var a = Replica("a.db", "site-a"))
        {
            a.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
        }

        File.Copy(_dir.File("a.db"), _dir.File("copy.db"));

        var result = CliRunner.Run("sync", "--db", _dir.File("a.db"), "--with", _dir.File("copy.db"));

        Assert.Equal(ExitCodes.EdgeSyncError, result.ExitCode);
        Assert.Contains("both belong to site 'site-a'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sync_PeerNotInitialised_ExitsWithEdgeSyncError()
    {
        using var a = Replica("a.db", "site-a");
        using var plain = new AppDatabase(_dir.File("plain.db"));

        var result = CliRunner.Run("sync", "--db", a.Path, "--with", plain.Path);

        Assert.Equal(ExitCodes.EdgeSyncError, result.ExitCode);
        Assert.Contains($"database '{plain.Path}' is not set up for EdgeSync yet", result.Stderr, StringComparison.Ordinal);
    }

    private AppDatabase Replica(string file, string site)
    {
        var app = new AppDatabase(_dir.File(file));
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("init", "--db", app.Path, "--site", site, "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        return app;
    }
}
