using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// Schema changes with real agents running, the <c>sqlite3</c> shell as the application. Issue 13: the shell rebuilds
/// a synced table (SQLite's create-copy-drop-rename procedure) and writes in the same session, while each replica's
/// <c>edgesync serve</c> captures within milliseconds of every commit; the writes after the rebuild's commit land
/// before the agent has put its capture triggers back. Issue 15: a re-insert by a replica that lacks a column.
/// </summary>
public sealed class SchemaEvolutionAgentTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task RebuildAndWritesInOneShellSession_WhileAgentsRun_EveryWriteReachesThePeer()
    {
        var (a, b) = StartTwoAgents();
        Sqlite3Shell.Sql(a, "INSERT INTO settings VALUES ('rate', '5', 'a'), ('max', '9', 'b');");
        await Until(() => Sqlite3Shell.Sql(b, "SELECT count(*) FROM settings;") == "2", "the rows to reach b");

        Sqlite3Shell.Sql(a, "BEGIN; CREATE TABLE s_new(key TEXT PRIMARY KEY, value TEXT NOT NULL DEFAULT '', note TEXT, unit TEXT DEFAULT 'kg'); "
            + "INSERT INTO s_new(key, value, note) SELECT key, value, note FROM settings; DROP TABLE settings; ALTER TABLE s_new RENAME TO settings; COMMIT; "
            + "UPDATE settings SET value = '7' WHERE key = 'rate'; UPDATE settings SET unit = 'lb' WHERE key = 'max';");
        Sqlite3Shell.Sql(b, "ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'kg';");

        await Until(() => Sqlite3Shell.Sql(b, "SELECT value FROM settings WHERE key = 'rate';") == "7", "the update of value made right after the rebuild to reach b");
        await Until(() => Sqlite3Shell.Sql(b, "SELECT unit FROM settings WHERE key = 'max';") == "lb", "the update of the new column made right after the rebuild to reach b");
        Sqlite3Shell.Sql(b, "UPDATE settings SET note = 'from-b' WHERE key = 'rate';");
        await Until(() => Sqlite3Shell.Sql(a, "SELECT note FROM settings WHERE key = 'rate';") == "from-b", "b's later update to reach a");

        const string All = "SELECT * FROM settings ORDER BY key;";
        Assert.Equal("max|9|b|lb\nrate|7|from-b|kg", Sqlite3Shell.Sql(a, All));
        Assert.Equal(Sqlite3Shell.Sql(a, All), Sqlite3Shell.Sql(b, All));
    }

    /// <summary>
    /// Issue 15 (simulation seed 4841) as a user meets it: one replica has added a column and set it; the other, not
    /// migrated yet, deletes the row and inserts it again. The new row starts over, so the column the re-inserter lacks
    /// is its declared default on both replicas, whether the agent captures the delete and the insert apart or together
    /// (the migrated replica held its old value, and the other brought the old value back when it migrated).
    /// </summary>
    [Fact]
    public async Task ReinsertByAReplicaWithoutTheColumn_LeavesTheColumnAtItsDefault_OnBothReplicas()
    {
        var (a, b) = StartTwoAgents();
        Sqlite3Shell.Sql(a, "INSERT INTO settings VALUES ('rate', '5', 'a');");
        await Until(() => Sqlite3Shell.Sql(b, "SELECT value FROM settings WHERE key = 'rate';") == "5", "the row to reach b");

        // a migrates and sets the new column; b, not migrated, keeps a's value of it aside.
        Sqlite3Shell.Sql(a, "ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'kg';");
        Sqlite3Shell.Sql(a, "UPDATE settings SET unit = 'lb', value = '6' WHERE key = 'rate';");
        await Until(() => Sqlite3Shell.Sql(b, "SELECT value FROM settings WHERE key = 'rate';") == "6", "a's update to reach b");

        // b deletes the row and inserts it again, without the column.
        Sqlite3Shell.Sql(b, "DELETE FROM settings WHERE key = 'rate';");
        Sqlite3Shell.Sql(b, "INSERT INTO settings VALUES ('rate', '8', 'b');");
        await Until(() => Sqlite3Shell.Sql(a, "SELECT value || '|' || note FROM settings WHERE key = 'rate';") == "8|b", "b's new row to reach a");
        Assert.Equal("kg", Sqlite3Shell.Sql(a, "SELECT unit FROM settings WHERE key = 'rate';"));

        // b migrates: the value kept aside belonged to the deleted row, so it does not come back.
        Sqlite3Shell.Sql(b, "ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'kg';");
        Sqlite3Shell.Sql(b, "UPDATE settings SET note = 'migrated' WHERE key = 'rate';");
        await Until(() => Sqlite3Shell.Sql(a, "SELECT note FROM settings WHERE key = 'rate';") == "migrated", "b's update after its migration to reach a");

        const string All = "SELECT * FROM settings ORDER BY key;";
        Assert.Equal("rate|8|migrated|kg", Sqlite3Shell.Sql(b, All));
        Assert.Equal(Sqlite3Shell.Sql(b, All), Sqlite3Shell.Sql(a, All));
    }

    /// <summary>Two replicas of <c>settings</c> (lww), each served by its own <c>edgesync serve</c>, b dialling a.</summary>
    private (string A, string B) StartTwoAgents()
    {
        Sqlite3Shell.Require();
        Directory.CreateDirectory(_dir.File("edge-0"));
        Directory.CreateDirectory(_dir.File("edge-1"));
        string a = _dir.File("edge-0/plant.db"), b = _dir.File("edge-1/plant.db");
        foreach (var (path, site) in new[] { (a, "f1/edge-0"), (b, "f1/edge-1") })
        {
            Sqlite3Shell.Sql(path, "PRAGMA journal_mode = WAL; CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT, note TEXT);");
            Assert.Equal(0, CliRunner.Run("init", "--db", path, "--site", site, "--table", "settings=lww").ExitCode);
        }

        var agentA = _agents.Serve("http://127.0.0.1:0", "http://127.0.0.1:0", "--db", a);
        _agents.Serve("http://127.0.0.1:0", "http://127.0.0.1:0", "--db", b, "--peer", agentA.Grpc);
        return (a, b);
    }

    private async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; {_agents.Problems()}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
