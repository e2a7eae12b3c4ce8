using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// Schema changes made the way applications make them (issue 13), black-box: the <c>sqlite3</c> shell is the
/// application and changes tables while two replicas sync with <c>edgesync sync --with</c>. After each story every
/// column of every row is compared with <c>SELECT *</c>, and <c>sync</c> must never claim "in sync" while they differ.
/// </summary>
public sealed class SchemaEvolutionCliTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _a;
    private readonly string _b;

    public SchemaEvolutionCliTests()
    {
        _a = _dir.File("a.db");
        _b = _dir.File("b.db");
    }

    public void Dispose() => _dir.Dispose();

    private void Setup(string schema, params string[] tables)
    {
        Sqlite3Shell.Require();
        foreach (var (path, site) in new[] { (_a, "f1/edge-0"), (_b, "f1/edge-1") })
        {
            Sql(path, "PRAGMA journal_mode = WAL;" + schema);
            var args = new List<string> { "init", "--db", path, "--site", site };
            foreach (var t in tables)
            {
                args.AddRange(["--table", t]);
            }

            Assert.Equal(0, CliRunner.Run([.. args]).ExitCode);
        }
    }

    [Fact]
    public void AddColumn_OnOneSideFirst_ItsValuesWaitAtThePeer_AndArriveWhenThePeerAddsIt()
    {
        Setup("CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT); INSERT INTO settings VALUES ('rate', '5');", "settings=lww");
        Assert.Contains("in sync", Sync().Stdout, StringComparison.Ordinal);

        // The application on A upgrades first: a new column, written at once (before any capture ran).
        Sql(_a, "ALTER TABLE settings ADD COLUMN unit TEXT; UPDATE settings SET unit = 'kg' WHERE k = 'rate'; INSERT INTO settings VALUES ('max', '9', 't');");
        var round = Sync();
        Assert.Equal(ExitCodes.CheckFailed, round.ExitCode);
        Assert.DoesNotContain("in sync: both hold the same changes", round.Stdout, StringComparison.Ordinal);
        Assert.Contains("not in sync yet", round.Stdout, StringComparison.Ordinal);
        Assert.Contains("has columns unit that the other replica does not have", round.Stdout, StringComparison.Ordinal);
        Assert.Equal("max|9\nrate|5", Sql(_b, "SELECT * FROM settings ORDER BY k;")); // the common columns synced

        // B still at the old version writes too; then its application adds the column.
        Sql(_b, "UPDATE settings SET v = '6' WHERE k = 'rate';");
        Sync();
        Sql(_b, "ALTER TABLE settings ADD COLUMN unit TEXT;");
        var after = Sync();

        Assert.Contains("in sync: both hold the same changes", after.StdoutLines);
        AssertSameRows("settings");
        Assert.Equal("max|9|t\nrate|6|kg", Sql(_b, "SELECT * FROM settings ORDER BY k;"));
    }

    [Fact]
    public void RebuildMigration_OnBothSides_CaptureResumes_AndLaterUpdatesSync()
    {
        Setup("CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT); INSERT INTO settings VALUES ('rate', '5'), ('max', '9');", "settings=lww");
        Sync();

        // SQLite's documented procedure for changes ALTER TABLE cannot make: new table, copy, drop, rename.
        const string Rebuild = "BEGIN; CREATE TABLE settings_new(k TEXT PRIMARY KEY, v TEXT NOT NULL DEFAULT '', note TEXT); "
            + "INSERT INTO settings_new(k, v) SELECT k, v FROM settings; DROP TABLE settings; ALTER TABLE settings_new RENAME TO settings; COMMIT;";
        Sql(_a, Rebuild);
        Sql(_b, Rebuild);
        var status = CliRunner.Run("status", "--db", _a);
        Assert.Contains("settings (lww, trigger, schema v2)", status.Stdout, StringComparison.Ordinal);

        Sql(_a, "UPDATE settings SET v = '7', note = 'tuned' WHERE k = 'rate';");
        Sql(_b, "DELETE FROM settings WHERE k = 'max';");
        var round = Sync();

        Assert.Contains("in sync: both hold the same changes", round.StdoutLines);
        Assert.Equal("rate|7|tuned", Sql(_b, "SELECT * FROM settings ORDER BY k;"));
        AssertSameRows("settings");
    }

    [Fact]
    public void RebuildMigration_ThenWritesBeforeAnyCapture_EveryWriteSyncs_AndAConcurrentEditOfAnotherColumnSurvives()
    {
        Setup("CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT, note TEXT); "
            + "INSERT INTO settings VALUES ('rate', '5', 'a'), ('max', '9', 'b'), ('min', '1', 'c');", "settings=lww");
        Sync();

        // B edits one column of 'rate' and syncs nothing yet.
        Sql(_b, "UPDATE settings SET note = 'from-b' WHERE k = 'rate';");

        // A's application rebuilds the table (adding a column with a default) and, in the same session, before any
        // EdgeSync command runs, writes: no capture trigger exists between the rebuild and the next capture.
        Sql(_a, "BEGIN; CREATE TABLE settings_new(k TEXT PRIMARY KEY, v TEXT NOT NULL DEFAULT '', note TEXT, unit TEXT DEFAULT 'kg'); "
            + "INSERT INTO settings_new(k, v, note) SELECT k, v, note FROM settings; DROP TABLE settings; "
            + "ALTER TABLE settings_new RENAME TO settings; COMMIT; "
            + "UPDATE settings SET v = '7' WHERE k = 'rate'; UPDATE settings SET unit = 'lb' WHERE k = 'max'; "
            + "DELETE FROM settings WHERE k = 'min'; INSERT INTO settings VALUES ('step', '2', 'd', 'g');");
        Sql(_b, "ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'kg';");
        var round = Sync();

        Assert.Contains("in sync: both hold the same changes", round.StdoutLines);
        AssertSameRows("settings");
        // A's window writes arrived, each only in the column it changed: B's concurrent note on 'rate' is kept.
        Assert.Equal("max|9|b|lb\nrate|7|from-b|kg\nstep|2|d|g", Sql(_b, "SELECT * FROM settings ORDER BY k;"));

        // Nothing A did not change is sent again in the next round.
        var again = Sync();
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(again.Stdout, ": 0 rows applied"));
    }

    [Fact]
    public void AddColumn_OnAnAppendTable_WhileRowsFlowBothWays_OldRowsTakeTheDefault()
    {
        Setup("CREATE TABLE telemetry(id INTEGER PRIMARY KEY, device TEXT NOT NULL, value REAL);", "telemetry=append");
        Sql(_a, "INSERT INTO telemetry VALUES (1, 'plc-a', 1.5), (2, 'plc-a', 2.5);");
        Sync();

        Sql(_a, "ALTER TABLE telemetry ADD COLUMN unit TEXT NOT NULL DEFAULT 'C'; INSERT INTO telemetry VALUES (3, 'plc-a', 3.5, 'F');");
        Sql(_b, "INSERT INTO telemetry VALUES (100, 'plc-b', 9.0);"); // B is still at the old version
        Sync();
        Assert.Equal("1|plc-a|1.5|C\n2|plc-a|2.5|C\n3|plc-a|3.5|F\n100|plc-b|9.0|C", Sql(_a, "SELECT * FROM telemetry ORDER BY id;"));

        Sql(_b, "ALTER TABLE telemetry ADD COLUMN unit TEXT NOT NULL DEFAULT 'C'; INSERT INTO telemetry VALUES (101, 'plc-b', 9.5, 'K');");
        var round = Sync();

        Assert.Contains("in sync: both hold the same changes", round.StdoutLines);
        AssertSameRows("telemetry");
        Assert.Equal("5", Sql(_b, "SELECT count(*) FROM telemetry;"));
    }

    [Fact]
    public void DropAndRenameColumn_WithTheExpandContractRecipe_ThroughSchemaApply()
    {
        Setup("CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT, legacy TEXT, old_name TEXT); INSERT INTO settings VALUES ('rate', '5', 'x', 'kg');",
            "settings=lww");
        Sync();

        // Expand: add the new name and copy the values (an ordinary, captured UPDATE); both versions of the app can run.
        File.WriteAllText(_dir.File("1-expand.sql"), "ALTER TABLE settings ADD COLUMN unit TEXT; UPDATE settings SET unit = old_name;");
        // Contract, once every replica runs the new app: drop what is no longer used (capture triggers set aside for it).
        File.WriteAllText(_dir.File("2-contract.sql"), "ALTER TABLE settings DROP COLUMN legacy; ALTER TABLE settings DROP COLUMN old_name;");
        foreach (var db in new[] { _a, _b })
        {
            Assert.Equal(0, CliRunner.Run("schema", "apply", "--db", db, _dir.File("1-expand.sql")).ExitCode);
        }

        Sync();
        Assert.Equal(0, CliRunner.Run("schema", "apply", "--db", _a, _dir.File("2-contract.sql")).ExitCode);
        Sql(_a, "UPDATE settings SET unit = 'g' WHERE k = 'rate';");
        Sql(_b, "UPDATE settings SET v = '6' WHERE k = 'rate';"); // B has not contracted yet
        Sync();
        Assert.Equal(0, CliRunner.Run("schema", "apply", "--db", _b, _dir.File("2-contract.sql")).ExitCode);
        var again = CliRunner.Run("schema", "apply", "--db", _b, _dir.File("2-contract.sql"));
        Assert.Contains("already applied", again.Stdout, StringComparison.Ordinal);
        var round = Sync();

        Assert.Contains("in sync: both hold the same changes", round.StdoutLines);
        Assert.Equal("rate|6|g", Sql(_a, "SELECT * FROM settings;"));
        AssertSameRows("settings");
    }

    [Fact]
    public void FailingMigration_IsRolledBackWhole_AndSaysWhy()
    {
        Setup("CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT); INSERT INTO settings VALUES ('rate', '5');", "settings=lww");
        File.WriteAllText(_dir.File("bad.sql"), "ALTER TABLE settings ADD COLUMN unit TEXT; UPDATE settings SET unit = 'kg'; ALTER TABLE nowhere ADD COLUMN x;");

        var result = CliRunner.Run("schema", "apply", "--db", _a, _dir.File("bad.sql"));

        Assert.Equal(ExitCodes.EdgeSyncError, result.ExitCode);
        Assert.Contains("rolled back; nothing of it was applied", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("no such table: nowhere", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("k|TEXT\nv|TEXT", Sql(_a, "SELECT name, type FROM pragma_table_info('settings');"));
        Assert.Equal(0, CliRunner.Run("schema", "show", "--db", _a).ExitCode);
    }

    [Fact]
    public void DroppedTable_StopsOnlyThatTable_Loudly_OtherTablesKeepSyncing_AndForgetResolvesIt()
    {
        Setup("CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT); CREATE TABLE scratch(id INTEGER PRIMARY KEY, note TEXT);",
            "settings=lww", "scratch=lww");
        Sql(_a, "INSERT INTO scratch VALUES (1, 'a');");
        Sync();

        Sql(_b, "DROP TABLE scratch;");
        Sql(_a, "INSERT INTO scratch VALUES (2, 'b'); INSERT INTO settings VALUES ('rate', '5');");
        var round = Sync();

        Assert.Equal(ExitCodes.CheckFailed, round.ExitCode);
        Assert.Contains("table scratch: sync stopped (dropped)", round.Stdout, StringComparison.Ordinal);
        Assert.Equal("rate|5", Sql(_b, "SELECT * FROM settings;")); // the other table kept syncing
        var status = CliRunner.Run("status", "--db", _b);
        Assert.Contains("scratch: sync STOPPED (dropped)", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("edgesync schema forget scratch", status.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.CheckFailed, CliRunner.Run("schema", "show", "--db", _b).ExitCode);

        Assert.Equal(0, CliRunner.Run("schema", "forget", "--db", _b, "scratch").ExitCode);
        Sql(_a, "INSERT INTO scratch VALUES (3, 'c'); UPDATE settings SET v = '6';");
        var after = Sync();

        // Sync of scratch stopped for good here: no drift any more, and sync says the two replicas differ in that table.
        Assert.DoesNotContain("sync stopped", after.Stdout, StringComparison.Ordinal);
        Assert.Contains("scratch", after.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("schema", "show", "--db", _b).ExitCode);
        Assert.Equal("rate|6", Sql(_b, "SELECT * FROM settings;"));
        Assert.Equal("3", Sql(_a, "SELECT count(*) FROM scratch;")); // A keeps its rows
    }

    [Fact]
    public void SameColumnAddedWithDifferentTypes_IsRefusedLoudly_AndBothKeepTheirData()
    {
        Setup("CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT); INSERT INTO settings VALUES ('rate', '5');", "settings=lww");
        Sync();
        Sql(_a, "ALTER TABLE settings ADD COLUMN n INTEGER; UPDATE settings SET n = 4;");
        Sql(_b, "ALTER TABLE settings ADD COLUMN n TEXT; UPDATE settings SET n = 'four';");
        Sql(_b, "UPDATE settings SET v = '6';");

        var round = Sync();

        Assert.Equal(ExitCodes.CheckFailed, round.ExitCode);
        Assert.Contains("column settings.n is INTEGER here but TEXT at the other", round.Stdout, StringComparison.Ordinal);
        Assert.Equal("rate|6|4", Sql(_a, "SELECT * FROM settings;"));
        Assert.Equal("rate|6|four", Sql(_b, "SELECT * FROM settings;"));
        var show = CliRunner.Run("schema", "show", "--db", _a, "--json");
        Assert.Contains("\"typeConflict\": true", show.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void StrictTable_WithAGeneratedColumn_AddColumnOnBothSides_SyncsEveryStoredColumn()
    {
        Setup("CREATE TABLE gauges(id TEXT PRIMARY KEY, raw INTEGER NOT NULL, scaled REAL GENERATED ALWAYS AS (raw / 10.0) VIRTUAL) STRICT; "
            + "INSERT INTO gauges(id, raw) VALUES ('g1', 125);", "gauges=lww");
        Sync();

        Sql(_a, "ALTER TABLE gauges ADD COLUMN unit TEXT NOT NULL DEFAULT 'bar'; UPDATE gauges SET unit = 'psi', raw = 130 WHERE id = 'g1';");
        Sql(_b, "ALTER TABLE gauges ADD COLUMN unit TEXT NOT NULL DEFAULT 'bar'; INSERT INTO gauges(id, raw) VALUES ('g2', 7);");
        var round = Sync();

        Assert.Contains("in sync: both hold the same changes", round.StdoutLines);
        Assert.Equal("g1|130|13.0|psi\ng2|7|0.7|bar", Sql(_b, "SELECT id, raw, scaled, unit FROM gauges ORDER BY id;"));
        AssertSameRows("gauges");
    }

    private CliResult Sync() => CliRunner.Run("sync", "--db", _a, "--with", _b);

    private void AssertSameRows(string table)
    {
        var query = $"SELECT * FROM {table} ORDER BY 1;";
        Assert.Equal(Sql(_a, query), Sql(_b, query));
        var columns = $"SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid;";
        Assert.Equal(Sql(_a, columns), Sql(_b, columns));
    }

    private static string Sql(string db, string sql) => Sqlite3Shell.Sql(db, sql);
}
