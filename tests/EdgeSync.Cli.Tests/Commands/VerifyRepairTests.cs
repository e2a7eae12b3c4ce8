using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// <c>edgesync verify A B --repair</c>, black-box with the <c>sqlite3</c> shell as the application: what differs in rows
/// of tables whose schema agrees is re-offered on both sides and synced, so the replicas converge; a schema difference
/// is left alone and named.
/// </summary>
public sealed class VerifyRepairTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void RowsChangedBehindEdgeSyncsBack_OnBothSides_AreRepaired_AndSyncSaysInSync()
    {
        var (a, b) = Pair();
        Sqlite3Shell.Sql(a, "INSERT INTO config VALUES ('mode', 'auto', 'app'), ('speed', '10', 'app'), ('unit', 'mm', 'app');");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("sync", "--db", a, "--with", b).ExitCode);

        // a: an update with capture muted (as EdgeSync mutes it for its own writes); b: a row inserted and one deleted
        // with their capture triggers dropped.
        Sqlite3Shell.Sql(a, "BEGIN; INSERT INTO _edgesync_ctx(k) VALUES (1); UPDATE config SET value = 'manual' WHERE key = 'speed'; DELETE FROM _edgesync_ctx; COMMIT;");
        Sqlite3Shell.Sql(b, $"DROP TRIGGER \"{Trigger(b, "AFTER INSERT", "")}\"; DROP TRIGGER \"{Trigger(b, "AFTER DELETE", "")}\";"
            + " INSERT INTO config VALUES ('limit', '99', 'ops'); DELETE FROM config WHERE key = 'unit';");
        Assert.Equal(ExitCodes.CheckFailed, CliRunner.Run("verify", a, b).ExitCode);

        var repair = CliRunner.Run("verify", a, b, "--repair");

        Assert.Equal(ExitCodes.Ok, repair.ExitCode);
        Assert.Contains(repair.StdoutLines, l => l.StartsWith("repair: re-offered", StringComparison.Ordinal));
        Assert.StartsWith("identical: a.db and b.db", repair.StdoutLines.Last(), StringComparison.Ordinal);
        Assert.Equal(Sqlite3Shell.Sql(a, "SELECT * FROM config ORDER BY key;"), Sqlite3Shell.Sql(b, "SELECT * FROM config ORDER BY key;"));
        Assert.Equal("99", Sqlite3Shell.Sql(a, "SELECT value FROM config WHERE key = 'limit';")); // a row only b had, no clock: captured and sent
        Assert.Contains("in sync: both hold the same changes", CliRunner.Run("sync", "--db", a, "--with", b).StdoutLines);
    }

    [Fact]
    public void ColumnAddedOnOneSideOnly_IsNotRepaired_AndIsNamed()
    {
        var (a, b) = Pair();
        Sqlite3Shell.Sql(a, "INSERT INTO config VALUES ('mode', 'auto', 'app');");
        CliRunner.Run("sync", "--db", a, "--with", b);
        Sqlite3Shell.Sql(b, "ALTER TABLE config ADD COLUMN unit TEXT;");

        var repair = CliRunner.Run("verify", a, b, "--repair");

        Assert.Equal(ExitCodes.CheckFailed, repair.ExitCode);
        Assert.Contains(repair.StdoutLines, l => l.Contains("not repaired: table config: its schema differs", StringComparison.Ordinal));
        Assert.Contains("diverged: table config, 1 row differs (column unit exists only in b.db)", repair.StdoutLines);
    }

    private static string Trigger(string db, string kind, string notLike) =>
        Sqlite3Shell.Sql(db, $"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'config' AND sql LIKE '%{kind}%'"
            + (notLike.Length > 0 ? $" AND name NOT LIKE '{notLike}'" : "") + " LIMIT 1;");

    private (string A, string B) Pair()
    {
        Sqlite3Shell.Require();
        string a = _dir.File("a.db"), b = _dir.File("b.db");
        foreach (var (path, site) in new[] { (a, "site-a"), (b, "site-b") })
        {
            Sqlite3Shell.Sql(path, "PRAGMA journal_mode = WAL; " + AppDatabase.Schema.Replace('\n', ' '));
            Assert.Equal(ExitCodes.Ok, CliRunner.Run("init", "--db", path, "--site", site, "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        }

        return (a, b);
    }
}
