using EdgeSync.Compaction;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Lifecycle;

public sealed class RetentionTests : IDisposable
{
    private static readonly RetentionPolicy KeepNone = new() { MaxRows = 0 };

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Prune_DeletesOnlyRowsTheHubHolds_InSmallBatches_AndTheAppendAuditStillFindsLateRows()
    {
        using var a = new Replica(_dir.File("a.db"), "f1/a");
        using var hub = new Replica(_dir.File("hub.db"), "hq/hub");
        Insert(a, 1, 60);
        hub.PullFrom(a);
        a.Db.RecordPeerVector(hub.Site, hub.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        Insert(a, 61, 40); // the hub does not have these
        a.Db.Capture(TestContext.Current.CancellationToken);

        int batches = PruneAll(a, KeepNone, maxRows: 7);

        Assert.True(batches >= 60 / 7, $"pruned in {batches} batches of at most 7 rows");
        Assert.Equal(40L, a.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(61L, a.Scalar("SELECT min(id) FROM readings"));
        Assert.Equal(a.Db.Vector[a.Site], a.Db.PrunedThrough("readings")[a.Site] + 40);

        // A row written below the frontier (capture's scan does not see it) is still found by the audit: the rows
        // capture accounts for went down with the pruned rows, so count(*) exceeds them again.
        a.Exec("INSERT INTO readings VALUES (0, 'late', 0, 0.5)");
        a.Db.AuditAppendTables(TestContext.Current.CancellationToken);
        hub.PullFrom(a);
        Assert.Equal(101L, hub.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(1L, hub.Scalar("SELECT count(*) FROM readings WHERE id = 0"));
    }

    [Fact]
    public void Prune_WithoutAnyHub_DeletesNothing()
    {
        using var a = new Replica(_dir.File("a.db"), "f1/a");
        using var sibling = new Replica(_dir.File("b.db"), "f1/b");
        Insert(a, 1, 50);
        sibling.PullFrom(a);
        a.Db.RecordPeerVector(sibling.Site, sibling.Db.Vector, cancellationToken: TestContext.Current.CancellationToken); // a sibling of the same cluster is not a hub

        PruneAll(a, KeepNone, maxRows: 1_000);
        Assert.Equal(50L, a.Scalar("SELECT count(*) FROM readings"));
    }

    [Fact]
    public void Prune_ByAge_KeepsRowsCapturedWithinMaxAge()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow - TimeSpan.FromHours(3)); // not ahead of the hub's clock
        using var a = new Replica(_dir.File("a.db"), "f1/a", time: time);
        using var hub = new Replica(_dir.File("hub.db"), "hq/hub");
        Insert(a, 1, 30);
        time.Now += TimeSpan.FromHours(2);
        Insert(a, 31, 20);
        hub.PullFrom(a);
        a.Db.RecordPeerVector(hub.Site, hub.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);

        PruneAll(a, new RetentionPolicy { MaxAge = TimeSpan.FromHours(1) }, maxRows: 1_000);

        Assert.Equal(20L, a.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(31L, a.Scalar("SELECT min(id) FROM readings"));
    }

    [Fact]
    public void PrunedRows_SentAgainByAPeer_AreNotInsertedAgain_EvenAfterThisSiteForgotItsOldId()
    {
        using var a = new Replica(_dir.File("a.db"), "f1/a");
        using var hub = new Replica(_dir.File("hub.db"), "hq/hub");
        Insert(a, 1, 60);
        hub.PullFrom(a);
        a.Db.RecordPeerVector(hub.Site, hub.Db.Vector, cancellationToken: TestContext.Current.CancellationToken);
        Insert(a, 61, 40);
        PruneAll(a, KeepNone, maxRows: 1_000);
        Assert.Equal(40L, a.Scalar("SELECT count(*) FROM readings"));

        // A peer sends everything again from scratch: the vector covers the pruned rows.
        var everything = hub.Db.GetChanges(Clocks.VersionVector.Empty, TestContext.Current.CancellationToken).ToList();
        foreach (var batch in everything)
        {
            a.Db.Apply(batch, cancellationToken: TestContext.Current.CancellationToken);
        }

        Assert.Equal(40L, a.Scalar("SELECT count(*) FROM readings"));

        // A peer holding more of a's id than a makes a continue as a new incarnation and forget the old id's vector
        // entry; the hub then sends the old id's rows back. The pruned-through watermark keeps them out.
        string oldId = a.Site;
        a.Db.RecordPeerVector("f1/c", Clocks.VersionVector.Empty.With(oldId, a.Db.Vector[oldId] + 5), cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(oldId, a.Db.SiteId);
        Assert.Equal(0, a.Db.Vector[oldId]);
        a.PullFrom(hub);

        Assert.Equal(40L, a.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(0L, a.Scalar("SELECT count(*) FROM readings WHERE id <= 60"));
    }

    private static void Insert(Replica r, long first, int count)
    {
        for (long id = first; id < first + count; id++)
        {
            r.Exec("INSERT INTO readings VALUES ($1, 'd', $2, 1.0)", id, id);
        }

        r.Db.Capture(TestContext.Current.CancellationToken);
    }

    /// <summary>Prunes at the hub level until nothing is left to do; returns the batches run.</summary>
    private static int PruneAll(Replica r, RetentionPolicy policy, int maxRows)
    {
        var held = r.Db.HeldAt(AckLevel.Hub);
        int batches = 0;
        while (true)
        {
            batches++;
            var result = r.Db.Prune("readings", policy, held, maxRows, TestContext.Current.CancellationToken);
            Assert.True(result.Rows <= maxRows);
            if (!result.More)
            {
                return batches;
            }
        }
    }
}
