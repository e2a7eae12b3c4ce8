using EdgeSync.Errors;
using EdgeSync.Schema;
using EdgeSync.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Tests.Engine;

public sealed class EnableTableTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly SyncDatabase _db;
    private readonly SqliteConnection _app;

    public EnableTableTests()
    {
        var path = _dir.File("t.db");
        _app = new SqliteConnection($"Data Source={path};Pooling=false");
        _app.Open();
        Exec("""
            CREATE TABLE nokey(a TEXT, b INTEGER);
            CREATE TABLE floaty(x REAL PRIMARY KEY, v TEXT);
            CREATE TABLE wide(a INTEGER, b INTEGER, c INTEGER, d INTEGER, e INTEGER, PRIMARY KEY(a, b, c, d, e));
            CREATE TABLE good(id INTEGER PRIMARY KEY, v TEXT, g INTEGER GENERATED ALWAYS AS (length(v)) VIRTUAL);
            CREATE TABLE textkey(id TEXT PRIMARY KEY, v TEXT);
            CREATE VIEW goodview AS SELECT * FROM good;
            """);
        _db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = "s1" });
    }

    public void Dispose()
    {
        _db.Dispose();
        _app.Dispose();
        _dir.Dispose();
    }

    private void Exec(string sql)
    {
        using var cmd = _app.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void Enable_TableWithoutPrimaryKey_IsRefusedWithAdvice()
    {
        var e = Assert.Throws<SchemaException>(() => _db.EnableTable("nokey", TablePolicy.Lww, TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCode.TableNotSupported, e.Code);
        Assert.Contains("'nokey' has no primary key", e.Message, StringComparison.Ordinal);
        Assert.Contains("PRIMARY KEY", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enable_FloatingPointKey_IsRefused()
    {
        var e = Assert.Throws<SchemaException>(() => _db.EnableTable("floaty", TablePolicy.Append, TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCode.TableNotSupported, e.Code);
        Assert.Contains("floating-point primary key column 'x'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enable_KeyWithTooManyColumns_IsRefused()
    {
        var e = Assert.Throws<SchemaException>(() => _db.EnableTable("wide", TablePolicy.Lww, TestContext.Current.CancellationToken));
        Assert.Contains("5-column primary key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enable_MissingTable_SaysItDoesNotExist()
    {
        var e = Assert.Throws<SchemaException>(() => _db.EnableTable("nope", TablePolicy.Lww, TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCode.TableNotFound, e.Code);
        Assert.Equal("nope", e.Table);
    }

    [Fact]
    public void Enable_View_IsRefused()
    {
        var e = Assert.Throws<SchemaException>(() => _db.EnableTable("goodview", TablePolicy.Lww, TestContext.Current.CancellationToken));
        Assert.Contains("is a view", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cluster_sync")]
    [InlineData("_edgesync_rows")]
    [InlineData("sqlite_schema")]
    public void Enable_BookkeepingTables_AreRefused(string table)
    {
        var e = Assert.Throws<SchemaException>(() => _db.EnableTable(table, TablePolicy.Lww, TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCode.TableNotSupported, e.Code);
    }

    [Fact]
    public void Enable_SkipsGeneratedColumns_AndChoosesCaptureMode()
    {
        var good = _db.EnableTable("good", TablePolicy.Lww, TestContext.Current.CancellationToken);
        Assert.Equal(["id", "v"], good.Columns);
        Assert.Equal(CaptureMode.RowidScan, good.Mode);
        var text = _db.EnableTable("textkey", TablePolicy.Lww, TestContext.Current.CancellationToken);
        Assert.Equal(CaptureMode.Trigger, text.Mode);
    }

    [Fact]
    public void Enable_Twice_IsIdempotent_ButPolicyChangeIsRefused()
    {
        var first = _db.EnableTable("good", TablePolicy.Lww, TestContext.Current.CancellationToken);
        Assert.Equal(first, _db.EnableTable("good", TablePolicy.Lww, TestContext.Current.CancellationToken));
        var e = Assert.Throws<SchemaException>(() => _db.EnableTable("good", TablePolicy.Append, TestContext.Current.CancellationToken));
        Assert.Contains("already synced with policy 'lww'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enable_ExistingRows_AreCapturedAsLocalChanges()
    {
        Exec("INSERT INTO textkey VALUES ('a', '1'), ('b', '2'); INSERT INTO good(id, v) VALUES (1, 'x'), (2, 'y'), (3, 'z')");
        _db.EnableTable("textkey", TablePolicy.Lww, TestContext.Current.CancellationToken);
        _db.EnableTable("good", TablePolicy.Append, TestContext.Current.CancellationToken);
        var result = _db.Capture(TestContext.Current.CancellationToken);
        Assert.Equal(5, result.Changes);
        Assert.Equal(3, result.RangeRows);
        Assert.True(_db.Vector["s1"] >= 5);
    }

    [Fact]
    public void UnknownPolicyName_IsAClearError()
    {
        var e = Assert.Throws<ArgumentValidationException>(() => TablePolicyNames.Parse("crdt"));
        Assert.Contains("unknown table policy 'crdt'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NewDatabaseWithoutSiteId_IsRefused()
    {
        var e = Assert.Throws<ArgumentValidationException>(() => SyncDatabase.Open(_dir.File("fresh.db"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("site id", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WithADifferentSiteId_IsRefused()
    {
        _db.Dispose();
        var e = Assert.Throws<ArgumentValidationException>(() => SyncDatabase.Open(_dir.File("t.db"), new SyncDatabaseOptions { SiteId = "s2" }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("belongs to site 's1'", e.Message, StringComparison.Ordinal);
    }
}
