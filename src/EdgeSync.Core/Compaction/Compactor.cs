using EdgeSync.Internal;
using EdgeSync.Storage;

namespace EdgeSync.Compaction;

/// <summary>
/// Removes change-log entries and tombstones that every known peer already has: those of an origin at or below the
/// minimum, over this replica and every peer it has ever synced with, of the sequence held for the origin (a peer that
/// never reported one holds it at 0). Insert ranges are kept: they hold the clocks of rows never updated. The origin's
/// floor then rises to the highest event dropped, never past what this replica held and dropped. A batch extracted
/// before the floor is refused as stale, and a peer behind the floor must be re-seeded, so a dropped tombstone can
/// never let an old state resurrect the row. See docs/design.md.
/// </summary>
internal static class Compactor
{
    public static CompactionResult Compact(SyncStore store, IReadOnlyCollection<string> requiredPeers, CancellationToken cancellationToken)
    {
        var peers = PeerVectors.Load(store);
        foreach (var p in requiredPeers)
        {
            peers.TryAdd(p, Clocks.VersionVector.Empty);
        }

        if (peers.Count == 0)
        {
            return default;
        }

        // How far this pass may drop, per origin: what this replica and every peer hold (never below the floor
        // already recorded, whose events are gone here anyway).
        var limits = new Dictionary<int, long>();
        bool rises = false;
        foreach (var (site, seq) in store.Vector)
        {
            var name = store.Sites.NameOf(site);
            long limit = Math.Min(seq, peers.Values.Min(v => v[name]));
            long floor = store.Floor.GetValueOrDefault(site);
            rises |= limit > floor;
            limits[site] = Math.Max(limit, floor);
        }

        if (!rises)
        {
            return default;
        }

        store.Begin(Durability.Bookkeeping, cancellationToken); // lost in a power cut, it is redone next time
        try
        {
            // The floor rises only over events this replica held and dropped: a vector can pass events it never held
            // (filtered by a table's direction), and their origin may disclaim them later (design §6, "the floor").
            var dropped = new Dictionary<int, long>();
            int logs = 0;
            foreach (var (site, limit) in limits)
            {
                var (count, highest) = CompactionRecords.DeleteLogEntries(store, site, limit);
                logs += count;
                Note(dropped, site, highest);
            }

            int tombs = DropTombstones(store, limits, dropped);
            FaultPoints.Hit("compact.floors");
            foreach (var (site, highest) in dropped)
            {
                if (highest > store.Floor.GetValueOrDefault(site))
                {
                    CompactionRecords.SetFloor(store, site, highest);
                    store.Floor[site] = highest;
                }
            }

            store.Commit();
            return new CompactionResult(logs, tombs);
        }
        catch
        {
            store.Rollback();
            throw;
        }
    }

    private static void Note(Dictionary<int, long> dropped, int site, long seq)
    {
        if (seq > dropped.GetValueOrDefault(site))
        {
            dropped[site] = seq;
        }
    }

    /// <summary>Drops the tombstones whose delete is at or below its origin's limit; notes, per origin, the highest delete dropped.</summary>
    private static int DropTombstones(SyncStore store, Dictionary<int, long> limits, Dictionary<int, long> dropped)
    {
        var doomed = new List<(long Tid, object Pk)>();
        var floors = new Dictionary<long, long>();
        var frontiers = new Dictionary<long, long>();
        foreach (var (tid, pk, cl, blob) in CompactionRecords.Tombstones(store))
        {
            var clock = ClockCodec.Decode(blob, 1, store.Sites.NameOf)[0];
            if (!store.Sites.TryGetIndex(clock.Site, out int site) || clock.Seq > limits.GetValueOrDefault(site))
            {
                continue;
            }

            // A rowid past the table's insert watermark would come back as part of a new insert range, which
            // always starts at causal length 1: such a tombstone stays until the watermark passes it.
            if (pk is long rowid && rowid > Frontier(store, tid, frontiers))
            {
                continue;
            }

            doomed.Add((tid, pk));
            floors[tid] = Math.Max(cl, floors.GetValueOrDefault(tid));
            Note(dropped, site, clock.Seq);
        }

        foreach (var (tid, cl) in floors)
        {
            CompactionRecords.RaiseCausalFloor(store, tid, cl);
            if (store.FindTable(tid) is { } t)
            {
                t.CausalFloor = Math.Max(t.CausalFloor, cl);
            }
        }

        CompactionRecords.DeleteRowMetadata(store, doomed);
        return doomed.Count;
    }

    private static long Frontier(SyncStore store, long tid, Dictionary<long, long> cache)
    {
        if (!cache.TryGetValue(tid, out long wm))
        {
            wm = store.FindTable(tid)?.InsertWatermark() ?? long.MaxValue;
            cache[tid] = wm;
        }

        return wm;
    }
}
