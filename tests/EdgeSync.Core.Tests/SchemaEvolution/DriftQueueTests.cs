using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.SchemaEvolution;

/// <summary>
/// Writes to a table whose sync a schema drift stopped wait in the capture queue until the drift is resolved. A batch
/// applied meanwhile (to any table) must not drop them: the apply emptied the whole queue, so those writes were never
/// sealed and never reached a peer.
/// </summary>
public sealed class DriftQueueTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WritesToADriftStoppedTable_SurviveAnApply_AndSyncOnceTheDriftIsResolved()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Exec("INSERT INTO settings VALUES ('limit', 'v1', 'a', 1)");
        b.PullFrom(a);

        b.Exec("ALTER TABLE settings RENAME TO settings_old"); // the application, behind EdgeSync's back: sync of the table stops
        b.Db.Capture(ct);
        Assert.Contains(b.Db.GetSchemaStatus(), t => t.Table == "settings" && t.Drift?.Change == "renamed");
        b.Exec("INSERT INTO settings_old VALUES ('mode', 'auto', 'b', 1)"); // waits in the queue while the table is stopped
        b.Exec("UPDATE settings_old SET value = 'v2' WHERE key = 'limit'");

        a.Exec("INSERT INTO readings(id, device, ts, value) VALUES (1, 'd', 1, 0.5)");
        b.PullFrom(a); // an apply while the drift lasts

        b.Exec("ALTER TABLE settings_old RENAME TO settings"); // resolved
        b.Db.Capture(ct);
        a.PullFrom(b);

        Assert.Equal("auto", a.Scalar("SELECT value FROM settings WHERE key = 'mode'"));
        Assert.Equal("v2", a.Scalar("SELECT value FROM settings WHERE key = 'limit'"));
        Assert.Equal(a.Db.Checksum(ct), b.Db.Checksum(ct));
    }
}
