using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// <c>INSERT OR REPLACE</c> as applications write it (issue 15), black-box: the <c>sqlite3</c> shell is the application
/// (its connection does not set <c>recursive_triggers</c>, so SQLite fires no delete trigger for the rows a replace
/// removes) and two replicas sync with <c>edgesync sync --with</c>. After each story every column of every row is
/// compared, and <c>sync</c> must say "in sync" only when the rows agree.
/// </summary>
public sealed class InsertOrReplaceCliTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _a;
    private readonly string _b;

    public InsertOrReplaceCliTests()
    {
        _a = _dir.File("a.db");
        _b = _dir.File("b.db");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReplaceOverALiveRow_WhereThePeerHasAColumnTheWriterLacks_ThePeerHoldsTheNewRowWithTheDefault()
    {
        Setup("CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT); INSERT INTO settings VALUES ('rate', '5');", "settings=lww");
        Sync();
        Sql(_b, "ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none'; UPDATE settings SET unit = 'kg' WHERE k = 'rate';");
        Sync();

        // A's application (still without 'unit') replaces the row: a new row, as if deleted and inserted.
        Sql(_a, "INSERT OR REPLACE INTO settings VALUES ('rate', '7');");
        Sync();
        Sql(_a, "ALTER TABLE settings ADD COLUMN unit TEXT DEFAULT 'none';");
        var round = Sync();

        Assert.Contains("in sync: both hold the same changes", round.StdoutLines);
        Assert.Equal("rate|7|none", Sql(_b, "SELECT * FROM settings;")); // before the fix: rate|7|kg, the old row's unit
        AssertSameRows("settings");
    }

    [Theory]
    [InlineData("CREATE TABLE users(id TEXT PRIMARY KEY, email TEXT UNIQUE, name TEXT);")]
    [InlineData("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, name TEXT); CREATE UNIQUE INDEX users_email ON users(email);")]
    public void ReplaceThroughASecondaryUniqueIndex_TheRowItDeleted_IsDeletedOnThePeer(string schema)
    {
        Setup(schema + "INSERT INTO users VALUES ('1', 'ann@example.com', 'Ann'), ('2', 'bob@example.com', 'Bob');", "users=lww");
        Sync();

        // Row 3 takes row 1's e-mail: SQLite deletes row 1 and tells no trigger.
        Sql(_a, "INSERT OR REPLACE INTO users VALUES ('3', 'ann@example.com', 'Ann B');");
        var round = Sync();

        // Before the fix the delete was never captured: b refused the batch (UNIQUE constraint failed: users.email).
        Assert.Equal(ExitCodes.Ok, round.ExitCode);
        Assert.Contains("in sync: both hold the same changes", round.StdoutLines);
        Assert.Equal("2|bob@example.com|Bob\n3|ann@example.com|Ann B", Sql(_b, "SELECT * FROM users ORDER BY id;"));
        AssertSameRows("users");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("verify", _a, _b).ExitCode);
    }

    [Fact]
    public void InsertOrIgnore_AndAnUpsert_OfConflictingRows_AreNotReplaces_APeersConcurrentEditSurvives()
    {
        Setup("CREATE TABLE users(id TEXT PRIMARY KEY, email TEXT UNIQUE, name TEXT, team TEXT);"
            + "INSERT INTO users VALUES ('1', 'ann@example.com', 'Ann', 'ops');", "users=lww");
        Sync();

        Sql(_b, "UPDATE users SET team = 'dev' WHERE id = '1';");
        Sql(_a, "INSERT OR IGNORE INTO users VALUES ('1', 'x@example.com', 'X', 'x'); "
            + "INSERT OR IGNORE INTO users VALUES ('9', 'ann@example.com', 'Nine', 'x'); "
            + "INSERT INTO users VALUES ('9', 'ann@example.com', 'Anne', 'x') ON CONFLICT(email) DO UPDATE SET name = excluded.name;");
        var round = Sync();

        Assert.Contains("in sync: both hold the same changes", round.StdoutLines);
        Assert.Equal("1|ann@example.com|Anne|dev", Sql(_b, "SELECT * FROM users;")); // a's name and b's team both kept
        AssertSameRows("users");
    }

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

    private CliResult Sync() => CliRunner.Run("sync", "--db", _a, "--with", _b);

    private void AssertSameRows(string table)
    {
        var query = $"SELECT * FROM {table} ORDER BY 1;";
        Assert.Equal(Sql(_a, query), Sql(_b, query));
    }

    private static string Sql(string db, string sql) => Sqlite3Shell.Sql(db, sql);
}
