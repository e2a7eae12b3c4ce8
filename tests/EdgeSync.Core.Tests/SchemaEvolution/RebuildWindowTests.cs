using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.SchemaEvolution;

/// <summary>
/// Writes an application makes right after a rebuild migration, before the capture that puts the capture triggers back
/// (issue 13): found from the rows by the value fingerprints kept with each row's metadata, for each kind of key.
/// </summary>
public sealed class RebuildWindowTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void CompositeKey_WithoutRowid_UpdatesAfterTheRebuild_ReachThePeer_OnlyInTheColumnsTheyChanged()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO items VALUES ('t1', 1, 'bolt', 10), ('t1', 2, 'nut', 20), ('t2', 1, 'washer', 30)");
        b.PullFrom(a);
        b.Exec("UPDATE items SET name = 'bolt M6' WHERE tenant = 't1' AND code = 1"); // concurrent, another column

        a.Exec("BEGIN; CREATE TABLE items_new(tenant TEXT NOT NULL, code INTEGER NOT NULL, name TEXT, qty INTEGER, PRIMARY KEY(tenant, code)) WITHOUT ROWID; "
            + "INSERT INTO items_new SELECT * FROM items; DROP TABLE items; ALTER TABLE items_new RENAME TO items; COMMIT; "
            + "UPDATE items SET qty = 11 WHERE tenant = 't1' AND code = 1; DELETE FROM items WHERE tenant = 't2'; INSERT INTO items VALUES ('t3', 1, 'pin', 5);");
        b.PullFrom(a);
        a.PullFrom(b);

        var expected = "t1|1|bolt M6|11\nt1|2|nut|20\nt3|1|pin|5";
        Assert.Equal(expected, Dump(a));
        Assert.Equal(expected, Dump(b));
        Assert.Equal(a.Db.Checksum(TestContext.Current.CancellationToken), b.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void IntegerKey_ARowWithMetadata_UpdatedAfterTheRebuild_ReachesThePeer()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO counters VALUES (1, 1, 'x', NULL), (2, 2, 'y', x'00')");
        b.PullFrom(a);
        b.Exec("UPDATE counters SET a = 5 WHERE id = 1"); // b's rows came from a peer: each has metadata
        a.PullFrom(b);

        b.Exec("BEGIN; CREATE TABLE counters_new(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c BLOB, d TEXT DEFAULT 'none'); "
            + "INSERT INTO counters_new(id, a, b, c) SELECT id, a, b, c FROM counters; DROP TABLE counters; ALTER TABLE counters_new RENAME TO counters; COMMIT; "
            + "UPDATE counters SET b = 'changed', c = x'0102' WHERE id = 2; UPDATE counters SET d = 'set' WHERE id = 1;");
        a.Exec("ALTER TABLE counters ADD COLUMN d TEXT DEFAULT 'none'");
        a.PullFrom(b);

        Assert.Equal("1|5|x||set\n2|2|changed|0102|none", Dump(a, "SELECT id, a, b, hex(c), d FROM counters ORDER BY id"));
        Assert.Equal(Dump(a, "SELECT * FROM counters ORDER BY id"), Dump(b, "SELECT * FROM counters ORDER BY id"));
    }

    private static string Dump(Replica r, string sql = "SELECT * FROM items ORDER BY tenant, code") =>
        string.Join("\n", r.Rows(sql).Select(row => string.Join("|", row.Select(v => v switch
        {
            null => "",
            byte[] bytes => Convert.ToHexString(bytes),
            _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
        }))));
}
