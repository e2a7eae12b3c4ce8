using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// Issue 15 (simulation seed 4841) as a user meets it: two <c>edgesync serve</c> processes, the <c>sqlite3</c> shell as
/// the application. One replica has added a column and set it; the other, not migrated yet, deletes the row and
/// inserts it again. The new row starts over, so the column the re-inserter lacks is its declared default on both
/// replicas (the migrated one held its old value, and the other brought the old value back when it migrated).
/// </summary>
public sealed class ReinsertWithoutColumnProcessTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task ReinsertByAReplicaWithoutTheColumn_LeavesTheColumnAtItsDefault_OnBothReplicas()
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
