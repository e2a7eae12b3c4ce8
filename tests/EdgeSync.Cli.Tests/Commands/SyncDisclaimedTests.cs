using EdgeSync.Cli.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// <c>edgesync sync --with</c>'s transfer (<see cref="Transfer.Run"/>) between a replica that disclaimed events after
/// its clock was set right and one that compacted them (design §6, "Disclaimed events a peer compacted"): it passes
/// the receiving file's announce to the extraction, as the agent's pulls and pushes do.
/// </summary>
public sealed class SyncDisclaimedTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Transfer_ToAReplicaThatDisclaimedWhatTheSenderCompacted_SendsTheOriginalsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        var aTime = new Clock(Now.AddMinutes(4));
        using var a = Open(_dir.File("a.db"), "a", aTime);
        using var b = Open(_dir.File("b.db"), "b", new Clock(Now));
        Exec(a.Path, "INSERT INTO settings VALUES ('early', 'v0')");
        Transfer.Run(a, b, ct); // within the tolerance of b's clock
        Assert.True(b.Compact(["a"], ct).LogEntries > 0, "b compacted nothing of a's: the test sets up nothing");

        aTime.Now = Now.AddHours(2);
        Exec(a.Path, "INSERT INTO settings VALUES ('ahead', 'v1')");
        a.Capture(ct);
        aTime.Now = Now.AddMinutes(-2); // set right, a little behind: 'early' is 6 min ahead of it, disclaimed
        Exec(a.Path, "INSERT INTO settings VALUES ('after', 'v2')");
        a.Capture(ct);
        Assert.Equal(0, a.Vector["a"]);

        Transfer.Run(a, b, ct);
        aTime.Now = Now; // 'early' within the tolerance of a's clock again
        Transfer.Run(b, a, ct); // before: ResyncRequired (a's vector for 'a' below b's floor), for good

        Assert.Equal(1, a.Vector["a"]);
        Assert.Equal(a.Checksum(ct), b.Checksum(ct));
    }

    private static SyncDatabase Open(string path, string site, TimeProvider time)
    {
        Exec(path, "PRAGMA journal_mode=WAL; CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT)");
        var db = SyncDatabase.Open(path, new SyncDatabaseOptions { SiteId = site, Time = time });
        db.EnableTable("settings", TablePolicy.Lww);
        return db;
    }

    private static void Exec(string path, string sql)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
