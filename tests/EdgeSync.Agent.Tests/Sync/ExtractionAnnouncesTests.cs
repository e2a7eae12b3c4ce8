using EdgeSync.Agent.Sync;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Clocks;
using EdgeSync.Schema;

namespace EdgeSync.Agent.Tests.Sync;

/// <summary>
/// Extraction captures first. When a peer's pull seals a write the capture loop had not sealed yet, the capture loop
/// then finds nothing to seal and stays silent; the replica must announce the write itself, or its other peers hear of
/// it only at the next full list (seen in the 151-agent demo: HQ's configuration change sealed by a factory's pull).
/// </summary>
public sealed class ExtractionAnnouncesTests
{
    private static SyncDatabase Open(string path, string site)
    {
        AppDb.Exec(path, "PRAGMA journal_mode=WAL; CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT);");
        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site });
        db.EnableTable("settings", TablePolicy.Lww);
        return db;
    }

    private static (ChangeSignal Signal, ChangeSignal.Subscription Listener) Signal()
    {
        var signal = new ChangeSignal();
        return (signal, signal.Subscribe());
    }

    [Fact]
    public void PullSealsAnUncapturedWrite_TheReplicaSignalsItsChange()
    {
        using var dir = new TempDir();
        using var hub = Open(dir.Db("hq"), "hq");
        var (signal, listener) = Signal();
        using var _ = listener;
        AppDb.Exec(hub.Path, "INSERT INTO settings VALUES ('sampling_ms', '250')"); // the application's write, not captured yet

        var sent = new Outbound(new SyncEndpoint(hub) { Changed = signal }, "f1/edge-0", AgentRole.Peer)
            .Send(VersionVector.Empty, _ => { }, TestContext.Current.CancellationToken);

        Assert.Equal(1, sent);
        Assert.True(listener.Reader.TryRead(out bool _), "the pull sealed a local write: the replica's change is signalled");
    }

    [Fact]
    public void PullOfWhatWasAlreadyCaptured_SignalsNothing()
    {
        using var dir = new TempDir();
        using var hub = Open(dir.Db("hq"), "hq");
        AppDb.Exec(hub.Path, "INSERT INTO settings VALUES ('sampling_ms', '250')");
        hub.Capture(TestContext.Current.CancellationToken); // sealed (and signalled) by the capture loop
        var (signal, listener) = Signal();
        using var _ = listener;

        var sent = new Outbound(new SyncEndpoint(hub) { Changed = signal }, "f1/edge-0", AgentRole.Peer)
            .Send(VersionVector.Empty, _ => { }, TestContext.Current.CancellationToken);

        Assert.Equal(1, sent);
        Assert.False(listener.Reader.TryRead(out bool _), "nothing new was sealed by the pull");
    }
}
