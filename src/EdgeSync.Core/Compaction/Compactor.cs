using EdgeSync.Internal;
using EdgeSync.Storage;

namespace EdgeSync.Compaction;

/// <summary>
/// Removes change-log entries and tombstones that every known peer already has. The floor for an origin is the
/// minimum, over every peer this replica has ever synced with, of that peer's sequence for the origin (a peer that
/// never reported one holds the floor at 0). Entries at or below the floor are dropped; a tombstone is dropped only
/// when its delete is at or below the floor. Insert ranges are kept: they hold the clocks of rows never updated.
/// A batch extracted before the floor is refused as stale, and a peer behind the floor must be re-seeded, so a
/// dropped tombstone can never let an old state resurrect the row. See docs/design.md.
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

        store.Begin(Durability.Bookkeeping, cancellationToken); // lost in a power cut, it is redone next time
        try
        {
            var floors = new Dictionary<int, long>();
            foreach (var (site, seq) in store.Vector)
            {
                var name = store.Sites.NameOf(site);
                long floor = Math.Min(seq, peers.Values.Min(v => v[name]));
                if (floor > store.Floor.GetValueOrDefault(site))
                {
                    floors[site] = floor;
                }
            }

            int logs = 0, tombs = 0;
            foreach (var (site, floor) in floors)
            {
                logs += CompactionRecords.DeleteLogEntries(store, site, floor);
                CompactionRecords.SetFloor(store, site, floor);
                store.Floor[site] = floor;
            }

            FaultPoints.Hit("compact.floors");
            if (floors.Count > 0)
            {
                tombs = DropTombstones(store);
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

    private static int DropTombstones(SyncStore store)
    {
        var doomed = new List<(long Tid, object Pk)>();
        var floors = new Dictionary<long, long>();
        var frontiers = new Dictionary<long, long>();
        foreach (var (tid, pk, cl, blob) in CompactionRecords.Tombstones(store))
        {
            var clock = ClockCodec.Decode(blob, 1, store.Sites.NameOf)[0];
            if (!store.Sites.TryGetIndex(clock.Site, out int site) || clock.Seq > store.Floor.GetValueOrDefault(site))
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
