using EdgeSync.Schema;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// <c>INSERT OR REPLACE</c> written by the application (issue 15). SQLite deletes the conflicting rows and inserts the
/// new one, but fires no delete trigger (the writer's connection would have to set <c>recursive_triggers</c>). Over a
/// live row of the same key it must be sealed like a <c>DELETE</c> then <c>INSERT</c> (a new incarnation); through a
/// secondary unique index the other row it deletes must be deleted on every replica. <c>INSERT OR IGNORE</c> and
/// upserts (<c>ON CONFLICT DO UPDATE</c>) must stay what they are.
/// </summary>
public sealed class InsertOrReplaceTests : IDisposable
{
    private const string Users = "CREATE TABLE users(id TEXT PRIMARY KEY, email TEXT UNIQUE, name TEXT)";
    private const string Tags = "CREATE TABLE tags(id INTEGER PRIMARY KEY, code TEXT NOT NULL COLLATE NOCASE, label TEXT, UNIQUE(code))";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("settings", "INSERT OR REPLACE INTO settings VALUES ('limit', 'v2', 'a', 1)", "key = 'limit'")]
    [InlineData("settings", "REPLACE INTO settings(key, value, owner, version) VALUES ('limit', 'v2', 'a', 1)", "key = 'limit'")]
    [InlineData("counters", "INSERT OR REPLACE INTO counters VALUES (1, 2, 'v2', NULL)", "id = 1")]                     // rowid-scan: at or below the watermark
    [InlineData("items", "INSERT OR REPLACE INTO items VALUES ('t1', 7, 'v2', 1)", "tenant = 't1' AND code = 7")]    // WITHOUT ROWID, composite key
    public void ReplaceOverALiveRow_IsANewIncarnation_APeersColumnTheWriterLacks_TakesItsDefault(string table, string replace, string where)
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('limit', 'v1', 'a', 1); INSERT INTO counters VALUES (1, 1, 'v1', NULL); INSERT INTO items VALUES ('t1', 7, 'v1', 1);");
        b.PullFrom(a);
        b.Exec($"ALTER TABLE {table} ADD COLUMN unit TEXT DEFAULT 'none'");
        b.Exec($"UPDATE {table} SET unit = 'mm' WHERE {where}");
        a.PullFrom(b);   // a has no 'unit': b's value is kept aside for the row

        a.Exec(replace); // a means a new row; it has no 'unit'
        b.PullFrom(a);
        a.Exec($"ALTER TABLE {table} ADD COLUMN unit TEXT DEFAULT 'none'");
        a.Db.Capture(Ct); // before the fix: the kept-aside 'mm' was written into the replacing row
        a.PullFrom(b);
        b.PullFrom(a);

        // As after a DELETE then an INSERT: the new row holds the default, on both replicas (before the fix b kept 'mm').
        Assert.Equal("none", b.Scalar($"SELECT unit FROM {table} WHERE {where}"));
        Assert.Equal("none", a.Scalar($"SELECT unit FROM {table} WHERE {where}"));
        Assert.Equal(a.Db.Checksum(Ct), b.Db.Checksum(Ct));
    }

    [Fact]
    public void ReplaceOverALiveRow_BeatsAConcurrentUpdateOfTheOldRow_AsADeleteThenInsertWould()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('limit', 'v1', 'a', 1)");
        b.PullFrom(a);

        b.Exec("UPDATE settings SET owner = 'b' WHERE key = 'limit'");           // an edit of the old row
        a.Exec("INSERT OR REPLACE INTO settings VALUES ('limit', 'v2', NULL, 2)"); // a new row, owner unset
        b.PullFrom(a);
        a.PullFrom(b);

        // The new incarnation wins the whole row (before the fix: an update of value and version only, so b's owner stayed).
        Assert.Equal([["limit", "v2", null, 2L]], a.Rows("SELECT * FROM settings"));
        Assert.Equal(a.Rows("SELECT * FROM settings"), b.Rows("SELECT * FROM settings"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a capture between the first rows and the replace
    public void ReplaceThroughASecondaryUniqueIndex_DeletesTheOtherRow_OnThePeerToo(bool captureBetween)
    {
        using var a = Open("a");
        using var b = Open("b");
        a.Exec("INSERT INTO users VALUES ('u1', 'x@example.com', 'Ann'), ('u2', 'y@example.com', 'Bob')");
        a.Exec("INSERT INTO tags VALUES (1, 'red', 'Red'), (2, 'blue', 'Blue')");
        b.PullFrom(a);
        if (captureBetween)
        {
            a.Db.Capture(Ct);
        }

        // u3 takes u1's e-mail: SQLite deletes u1 and fires no delete trigger. Tag 3 takes tag 1's code (NOCASE).
        a.Exec("INSERT OR REPLACE INTO users VALUES ('u3', 'x@example.com', 'Cid')");
        a.Exec("INSERT OR REPLACE INTO tags VALUES (3, 'RED', 'Crimson')");
        b.PullFrom(a);
        a.PullFrom(b);

        Assert.Equal([["u2", "y@example.com", "Bob"], ["u3", "x@example.com", "Cid"]], b.Rows("SELECT * FROM users ORDER BY id"));
        Assert.Equal([[2L, "blue", "Blue"], [3L, "RED", "Crimson"]], b.Rows("SELECT * FROM tags ORDER BY id"));
        Assert.Equal(a.Db.Checksum(Ct), b.Db.Checksum(Ct));
    }

    [Fact]
    public void ReplaceThroughAUniqueIndexAndThePrimaryKeyAtOnce_DeletesOneRow_AndReplacesTheOther()
    {
        using var a = Open("a");
        using var b = Open("b");
        a.Exec("INSERT INTO users VALUES ('u1', 'x@example.com', 'Ann'), ('u2', 'y@example.com', 'Bob')");
        b.PullFrom(a);
        b.Exec("ALTER TABLE users ADD COLUMN phone TEXT");
        b.Exec("UPDATE users SET phone = '555' WHERE id = 'u2'");
        a.PullFrom(b);

        a.Exec("INSERT OR REPLACE INTO users VALUES ('u2', 'x@example.com', 'Bea')"); // u1 goes (e-mail), u2 is replaced
        b.PullFrom(a);

        Assert.Equal([["u2", "x@example.com", "Bea", null]], b.Rows("SELECT * FROM users"));
    }

    [Theory]
    [InlineData("INSERT OR IGNORE INTO users VALUES ('u1', 'z@example.com', 'Zed')")]  // conflicts on the key
    [InlineData("INSERT OR IGNORE INTO users VALUES ('u9', 'x@example.com', 'Zed')")]  // conflicts on the e-mail
    [InlineData("INSERT OR FAIL INTO users VALUES ('u9', 'x@example.com', 'Zed')")]    // fails: the statement's trigger work stays
    [InlineData("INSERT INTO users VALUES ('u9', 'x@example.com', 'Zed')")]            // fails and is rolled back
    public void AnInsertThatDoesNotHappen_ChangesNothing_AndAConcurrentEditOnThePeerStays(string insert)
    {
        using var a = Open("a");
        using var b = Open("b");
        a.Exec("INSERT INTO users VALUES ('u1', 'x@example.com', 'Ann')");
        b.PullFrom(a);
        a.Db.Capture(Ct);

        try
        {
            a.Exec(insert);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode == 19)
        {
            // the constraint failure the application sees
        }

        Assert.Equal(0, a.Db.Capture(Ct).Changes);
        b.Exec("UPDATE users SET name = 'Anne' WHERE id = 'u1'");
        a.PullFrom(b);
        b.PullFrom(a);

        Assert.Equal([["u1", "x@example.com", "Anne"]], a.Rows("SELECT * FROM users"));
        Assert.Equal(a.Rows("SELECT * FROM users"), b.Rows("SELECT * FROM users"));
    }

    [Theory]
    [InlineData("INSERT INTO users VALUES ('u1', 'x@example.com', 'Ann') ON CONFLICT(id) DO UPDATE SET email = 'w@example.com'")]
    [InlineData("INSERT INTO users VALUES ('u9', 'x@example.com', 'Zed') ON CONFLICT(email) DO UPDATE SET email = 'w@example.com'")]
    public void Upsert_OnConflictDoUpdate_StaysAnUpdate_AConcurrentEditOfAnotherColumnSurvives(string upsert)
    {
        using var a = Open("a");
        using var b = Open("b");
        a.Exec("INSERT INTO users VALUES ('u1', 'x@example.com', 'Ann')");
        b.PullFrom(a);

        b.Exec("UPDATE users SET name = 'Anne' WHERE id = 'u1'");
        a.Exec(upsert);
        Assert.Equal(1, a.Db.Capture(Ct).Changes);
        a.PullFrom(b);
        b.PullFrom(a);

        // Both column edits survive (last writer wins per column); a replace would have dropped b's name.
        Assert.Equal([["u1", "w@example.com", "Anne"]], a.Rows("SELECT * FROM users"));
        Assert.Equal(a.Rows("SELECT * FROM users"), b.Rows("SELECT * FROM users"));
    }

    [Fact]
    public void UniqueIndexCreatedLater_IsGuardedFromTheNextCapture_AndDroppingItRemovesTheGuard()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('limit', 'v1', 'ops', 1), ('rate', 'v1', 'dev', 2)");
        b.PullFrom(a);

        a.Exec("CREATE UNIQUE INDEX settings_owner ON settings(owner)");
        a.Db.Capture(Ct);
        Assert.Single(Guards(a, "settings"));
        a.Exec("INSERT OR REPLACE INTO settings VALUES ('max', 'v1', 'ops', 3)"); // 'limit' goes
        b.PullFrom(a);
        Assert.Equal([["max"], ["rate"]], b.Rows("SELECT key FROM settings ORDER BY key"));

        a.Exec("DROP INDEX settings_owner");
        a.Db.Capture(Ct);
        Assert.Empty(Guards(a, "settings"));
    }

    [Fact]
    public void ADatabaseWithTheEarlierInsertTrigger_GetsTheCurrentTriggersAtItsNextCapture()
    {
        using var a = Open("a");
        using var b = Open("b");
        a.Exec("INSERT INTO users VALUES ('u1', 'x@example.com', 'Ann'), ('u2', 'y@example.com', 'Bob')");
        b.PullFrom(a);

        // The triggers as an earlier version installed them: the insert trigger named "…_ins", queuing op 1; no guard.
        var current = (string)a.Scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '\\_edgesync\\_%\\_ins2' ESCAPE '\\' AND tbl_name = 'users'")!;
        var name = (string)a.Scalar("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '\\_edgesync\\_%\\_ins2' ESCAPE '\\' AND tbl_name = 'users'")!;
        var earlier = System.Text.RegularExpressions.Regex.Replace(
            current.Replace(name, name[..^1], StringComparison.Ordinal), @"VALUES \((\d+), 4, -1", "VALUES ($1, 1, -1");
        Assert.NotEqual(current.Replace(name, name[..^1], StringComparison.Ordinal), earlier);
        a.Exec($"DROP TRIGGER \"{name}\"; DROP TRIGGER \"{Guards(a, "users").Single()}\"; {earlier}");
        a.Reopen();

        a.Exec("INSERT OR REPLACE INTO users VALUES ('u3', 'x@example.com', 'Cid')");
        b.PullFrom(a);

        Assert.Equal([["u2"], ["u3"]], b.Rows("SELECT id FROM users ORDER BY id"));
        Assert.Contains(name, a.Rows("SELECT name FROM sqlite_master WHERE type = 'trigger'").Select(r => (string)r[0]!));
        Assert.Equal(a.Db.Checksum(Ct), b.Db.Checksum(Ct));
    }

    private Replica Open(string site)
    {
        var r = new Replica(_dir.File($"{site}.db"), site);
        r.Exec(Users + ";" + Tags);
        r.Db.EnableTable("users", TablePolicy.Lww);
        r.Db.EnableTable("tags", TablePolicy.Lww);
        return r;
    }

    private static List<string> Guards(Replica r, string table) =>
        [.. r.Rows($"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}' AND name LIKE '%\\_uq\\_%' ESCAPE '\\'").Select(x => (string)x[0]!)];
}
