using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// Issue 13 with real agents running: the <c>sqlite3</c> shell rebuilds a synced table (SQLite's create-copy-drop-rename
/// procedure) and writes in the same session, while each replica's <c>edgesync serve</c> captures within milliseconds
/// of every commit. The writes after the rebuild's commit land before the agent has put its capture triggers back.
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
