using EdgeSync.Merge;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// A write the application made since the last capture, when a peer's batch arrives: the apply seals it first, then
/// merges the batch in the same transaction, so a batch row stamped later replaces it before anyone reads it. What the
/// conflict audit then holds (docs/design.md, "Conflicts"): nothing when the batch brings the same value (no
/// conflict), else the pending write's loss under the id the replica sealed it with, a new incarnation's after a
/// kill. The write it overwrote was its own writer's: an ordinary overwrite, in no audit. Simulation seeds 5473 and
/// 4251 at 120 steps (docs/guarantees.md) are these two cases; their ground truth had not known the pending write.
/// </summary>
public sealed class PendingWriteAuditTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2027, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();
    private readonly ManualTime _time = new(Start);
    private readonly ManualTime _ahead = new(Start.AddSeconds(30)); // the peer's clock, 30 s ahead (within the drift allowed)

    public void Dispose() => _dir.Dispose();

    private static List<ConflictRecord> Losses(Replica r) =>
        r.Db.Status.GetConflicts().Where(c => c.Column == "qty").ToList();

    private static object? Qty(Replica r) => r.Scalar("SELECT qty FROM items WHERE tenant = 't1' AND code = 1");

    /// <summary>b writes qty 3 and captures it, then raises it to 4 without a capture; a, whose clock is ahead, writes
    /// <paramref name="peerQty"/>; b pulls from a, then a from b.</summary>
    private (Replica A, Replica B) RaceAPendingWrite(long peerQty, Action<Replica>? beforeThePendingWrite = null)
    {
        var a = new Replica(_dir.File("a.db"), "a", time: _ahead);
        var b = new Replica(_dir.File("b.db"), "b", time: _time);
        b.Exec("INSERT OR REPLACE INTO items(tenant, code, name, qty) VALUES ('t1', 1, 'n46', 3)");
        b.Db.Capture(TestContext.Current.CancellationToken);
        beforeThePendingWrite?.Invoke(b);
        _time.Now = Start.AddSeconds(1);
        b.Exec("UPDATE items SET qty = qty + 1 WHERE tenant = 't1' AND code = 1"); // 4, not captured
        a.Exec("INSERT OR REPLACE INTO items(tenant, code, name, qty) VALUES ('t1', 1, 'n44', $1)", peerQty);
        a.Db.Capture(TestContext.Current.CancellationToken);
        _time.Now = Start.AddSeconds(2);
        b.PullFrom(a); // seals b's 4 (stamped t=2), then merges a's row (stamped t=30), which wins
        a.PullFrom(b);
        return (a, b);
    }

    [Fact]
    public void PendingWriteBeatenInTheApplyByTheSameValue_IsNoConflict()
    {
        var (a, b) = RaceAPendingWrite(peerQty: 4);
        using (a)
        using (b)
        {
            Assert.Equal((4L, 4L), (Qty(a), Qty(b)));
            Assert.Empty(Losses(a)); // 4 against 4; and b's 3 was overwritten by b itself
            Assert.Empty(Losses(b));
        }
    }

    [Fact]
    public void PendingWriteBeatenInTheApplyByAnotherValue_IsAuditedThere()
    {
        var (a, b) = RaceAPendingWrite(peerQty: 5);
        using (a)
        using (b)
        {
            Assert.Equal((5L, 5L), (Qty(a), Qty(b)));
            var loss = Assert.Single(Losses(b));
            Assert.Equal((4L, "b", 5L, "a"), (loss.LoserValue, loss.LoserSite, loss.WinnerValue, loss.WinnerSite));
            Assert.Equal(Start.AddSeconds(2).ToUnixTimeMilliseconds(), loss.LoserHlc.Milliseconds);
            Assert.Empty(Losses(a)); // a never received b's 4: b sends its row as it holds it now
        }
    }

    [Fact]
    public void PendingWriteAfterAKill_BeatenInTheApply_IsAuditedUnderTheNewIncarnation()
    {
        var (a, b) = RaceAPendingWrite(peerQty: 5, beforeThePendingWrite: b =>
        {
            // The process is killed (its writer mark stays) and restarts: it continues as a new incarnation.
            b.Exec("INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('writer_session', 'killed')");
            b.Reopen(_time);
        });
        using (a)
        using (b)
        {
            Assert.Equal((5L, 5L), (Qty(a), Qty(b)));
            Assert.StartsWith("b~", b.Db.SiteId, StringComparison.Ordinal);
            var loss = Assert.Single(Losses(b));
            Assert.Equal((4L, b.Db.SiteId, 5L, "a"), (loss.LoserValue, loss.LoserSite, loss.WinnerValue, loss.WinnerSite));
            Assert.Empty(Losses(a));
        }
    }
}
