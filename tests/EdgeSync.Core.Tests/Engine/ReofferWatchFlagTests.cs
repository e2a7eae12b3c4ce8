using EdgeSync.Clocks;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// A hub asks <see cref="SyncDatabase.ReofferPassed"/> before every pull from a factory and after every batch applied
/// from one. On a replica that never re-offered a table that must cost nothing (no read, no wait for the lock); once a
/// table is re-offered the watch is seen, also after the file is opened again.
/// </summary>
public sealed class ReofferWatchFlagTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void NoTableReoffered_NothingWatched_ThenAReofferIsWatched_AlsoAfterReopening()
    {
        var ct = TestContext.Current.CancellationToken;
        using var hub = new Replica(_dir.File("hub.db"), "hq");
        hub.Exec("INSERT INTO settings VALUES ('k', 'v', 'hq', 1)");
        hub.Db.Capture(ct);

        Assert.False(hub.Db.WatchesReoffers);
        Assert.Equal(0, hub.Db.ReofferPassed("f1/0", VersionVector.Empty, ct));

        Assert.Equal(1, hub.Db.ReofferTable("settings", ct));
        Assert.True(hub.Db.WatchesReoffers);

        hub.Reopen();
        Assert.True(hub.Db.WatchesReoffers);
    }
}
