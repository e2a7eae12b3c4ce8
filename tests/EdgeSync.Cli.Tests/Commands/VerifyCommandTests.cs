using System.Diagnostics;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// <c>edgesync verify</c> and the content check of <c>edgesync sync</c>, black-box, with the <c>sqlite3</c> shell as the
/// application: a row changed behind EdgeSync's back (its capture trigger dropped) leaves both replicas holding the
/// same changes but different rows, and neither command may call them in sync.
/// </summary>
public sealed class VerifyCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Verify_SameRows_SaysIdentical_AndExitsZero()
    {
        var sqlite3 = Sqlite3();
        var (a, b) = Pair(sqlite3);
        Sql(sqlite3, a, "INSERT INTO config VALUES ('mode', 'auto', 'app'); INSERT INTO telemetry VALUES (1, 'plc', 10, 0.5);");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("sync", "--db", a, "--with", b).ExitCode);

        var result = CliRunner.Run("verify", a, b);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.StartsWith("identical: a.db and b.db hold the same rows in every column", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void RowUpdatedWithCaptureBypassed_SyncIsNotInSync_AndVerifyNamesTheRowAndColumns()
    {
        var sqlite3 = Sqlite3();
        var (a, b) = Pair(sqlite3);
        Sql(sqlite3, a, "INSERT INTO config VALUES ('mode', 'auto', 'app'), ('speed', '10', 'app'), ('unit', 'mm', 'app');");
        var first = CliRunner.Run("sync", "--db", a, "--with", b);
        Assert.Contains("in sync: both hold the same changes", first.StdoutLines);

        // A write sync cannot see: the capture triggers muted the way EdgeSync mutes them for its own writes.
        Sql(sqlite3, a, "BEGIN; INSERT INTO _edgesync_ctx(k) VALUES (1); UPDATE config SET value = 'manual', updated_by = 'ops' WHERE key = 'speed'; "
            + "DELETE FROM _edgesync_ctx; COMMIT;");
        var sync = CliRunner.Run("sync", "--db", a, "--with", b);
        var verify = CliRunner.Run("verify", a, b);

        Assert.Equal(ExitCodes.CheckFailed, sync.ExitCode);
        Assert.DoesNotContain(sync.StdoutLines, l => l.StartsWith("in sync", StringComparison.Ordinal));
        Assert.Contains("diverged: table config, 1 row differs", sync.StdoutLines);
        Assert.Equal(ExitCodes.CheckFailed, verify.ExitCode);
        Assert.Contains("diverged: table config, 1 row differs", verify.StdoutLines);
        Assert.Contains("key='speed': updated_by, value differ", verify.StdoutLines);
    }

    [Fact]
    public void RowUpdatedWhileItsCaptureTriggerWasDropped_IsCapturedOnceTheTriggerIsBack()
    {
        var sqlite3 = Sqlite3();
        var (a, b) = Pair(sqlite3);
        Sql(sqlite3, a, "INSERT INTO config VALUES ('mode', 'auto', 'app'), ('speed', '10', 'app'), ('unit', 'mm', 'app');");
        Assert.Contains("in sync: both hold the same changes", CliRunner.Run("sync", "--db", a, "--with", b).StdoutLines);
        string trigger = Sql(sqlite3, a, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'config' AND sql LIKE '%AFTER UPDATE%' "
            + "AND name NOT LIKE '%key%';");
        Assert.False(string.IsNullOrEmpty(trigger), "no update capture trigger on config");

        Sql(sqlite3, a, $"DROP TRIGGER \"{trigger}\"; UPDATE config SET value = 'manual', updated_by = 'ops' WHERE key = 'speed';");
        var sync = CliRunner.Run("sync", "--db", a, "--with", b);

        // The next capture finds the trigger missing, installs it again and captures the update made without it.
        Assert.Contains("in sync: both hold the same changes", sync.StdoutLines);
        Assert.Equal("speed|manual|ops", Sql(sqlite3, b, "SELECT * FROM config WHERE key = 'speed';"));
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("verify", a, b).ExitCode);
    }

    [Fact]
    public void ColumnAddedOnOneSideOnly_IsADifference_NamingTheColumn()
    {
        var sqlite3 = Sqlite3();
        var (a, b) = Pair(sqlite3);
        Sql(sqlite3, a, "INSERT INTO config VALUES ('mode', 'auto', 'app'), ('speed', '10', 'app'), ('unit', 'mm', 'app');");
        CliRunner.Run("sync", "--db", a, "--with", b);

        Sql(sqlite3, b, "ALTER TABLE config ADD COLUMN unit TEXT;");
        var sync = CliRunner.Run("sync", "--db", a, "--with", b);
        var verify = CliRunner.Run("verify", a, b);

        Assert.DoesNotContain(sync.StdoutLines, l => l.StartsWith("in sync", StringComparison.Ordinal));
        Assert.Contains("diverged: table config, 3 rows differ (column unit exists only in b.db)", verify.StdoutLines);
        Assert.Equal(["key='mode': unit differs", "key='speed': unit differs", "key='unit': unit differs"],
            verify.StdoutLines.Where(l => l.StartsWith("key=", StringComparison.Ordinal)));
    }

    [Fact]
    public void VerifyAgainstAnAgent_FindsARowMissingThere_AndIdenticalOnceItIsBack()
    {
        var sqlite3 = Sqlite3();
        Directory.CreateDirectory(_dir.File("edge-0"));
        Directory.CreateDirectory(_dir.File("edge-1"));
        string a = _dir.File("edge-0/plant.db"), b = _dir.File("edge-1/plant.db");
        Init(sqlite3, a, "f1/edge-0");
        Init(sqlite3, b, "f1/edge-1");
        Sql(sqlite3, a, "INSERT INTO config VALUES ('mode', 'auto', 'app'); INSERT INTO telemetry VALUES (1, 'plc', 10, 0.5);");
        CliRunner.Run("sync", "--db", a, "--with", b);
        string trigger = Sql(sqlite3, b, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'config' AND sql LIKE '%AFTER DELETE%';");
        Sql(sqlite3, b, $"DROP TRIGGER \"{trigger}\"; DELETE FROM config WHERE key = 'mode';");
        var agent = _agents.Serve("http://127.0.0.1:0", "http://127.0.0.1:0", "--db", b);

        var diverged = CliRunner.Run("verify", a, "--peer", agent.Grpc);

        Assert.Equal(ExitCodes.CheckFailed, diverged.ExitCode);
        Assert.Contains("diverged: table config, 1 row differs", diverged.StdoutLines);
        Assert.Contains("key='mode': only in plant.db", diverged.StdoutLines);
        Assert.Contains(diverged.StdoutLines, l => l.Contains("bytes from the peer", StringComparison.Ordinal));

        Sql(sqlite3, a, "DELETE FROM config WHERE key = 'mode';");
        CliRunner.Run("sync", "--db", a, "--peer", agent.Grpc);
        var identical = CliRunner.Run("verify", a, "--peer", agent.Grpc);

        Assert.Equal(ExitCodes.Ok, identical.ExitCode);
        Assert.StartsWith($"identical: plant.db and {agent.Grpc}", identical.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_ShowsTheDivergenceTheLastContentCheckRecorded_UntilAnIdenticalCheckClearsIt()
    {
        var sqlite3 = Sqlite3();
        var (a, b) = Pair(sqlite3);
        Sql(sqlite3, a, "INSERT INTO config VALUES ('mode', 'auto', 'app');");
        CliRunner.Run("sync", "--db", a, "--with", b);
        Sql(sqlite3, b, "ALTER TABLE config ADD COLUMN unit TEXT;");
        using (var dbA = SyncDatabase.Open(a, cancellationToken: TestContext.Current.CancellationToken))
        using (var dbB = SyncDatabase.Open(b, cancellationToken: TestContext.Current.CancellationToken))
        {
            dbA.RecordDivergence("site-b", dbA.CompareContent(dbB, "site-a", "site-b", cancellationToken: TestContext.Current.CancellationToken), cancellationToken: TestContext.Current.CancellationToken);
        }

        var diverged = CliRunner.Run("status", "--db", a);
        Sql(sqlite3, a, "ALTER TABLE config ADD COLUMN unit TEXT;");
        using (var dbA = SyncDatabase.Open(a, cancellationToken: TestContext.Current.CancellationToken))
        using (var dbB = SyncDatabase.Open(b, cancellationToken: TestContext.Current.CancellationToken))
        {
            dbA.RecordDivergence("site-b", dbA.CompareContent(dbB, "site-a", "site-b", cancellationToken: TestContext.Current.CancellationToken), cancellationToken: TestContext.Current.CancellationToken);
        }

        var cleared = CliRunner.Run("status", "--db", a);

        Assert.Contains(diverged.StdoutLines, l => l.StartsWith("diverged  from site-b", StringComparison.Ordinal));
        Assert.Contains("table config, 1 row differs (column unit exists only in site-b)", diverged.StdoutLines);
        Assert.DoesNotContain(cleared.StdoutLines, l => l.StartsWith("diverged", StringComparison.Ordinal));
    }

    private (string A, string B) Pair(string sqlite3)
    {
        string a = _dir.File("a.db"), b = _dir.File("b.db");
        Init(sqlite3, a, "site-a");
        Init(sqlite3, b, "site-b");
        return (a, b);
    }

    private static void Init(string sqlite3, string path, string site)
    {
        Sql(sqlite3, path, "PRAGMA journal_mode = WAL; " + AppDatabase.Schema.Replace('\n', ' '));
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("init", "--db", path, "--site", site, "--table", "telemetry=append", "--table", "config=lww").ExitCode);
    }

    private static string Sqlite3() => Sqlite3Shell.Require();

    private static string Sql(string sqlite3, string db, string sql) => Sqlite3Shell.Sql(db, sql);
}
