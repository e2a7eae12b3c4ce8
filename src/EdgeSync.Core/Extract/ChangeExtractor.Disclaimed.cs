using EdgeSync.Protocol;
using EdgeSync.Storage;

namespace EdgeSync.Extract;

/// <summary>
/// A peer below this replica's compaction floor for an origin only because it disclaimed events it held (its clock was
/// set right, design §6b) lacks no tombstone this replica dropped: it held every one of them, and its row states still
/// reflect them. What it lacks are the originals, which order above its re-stamps; their log entries are gone here, so
/// they are found in the row metadata that still names them (design §6, "Disclaimed events a peer compacted").
/// </summary>
internal sealed partial class ChangeExtractor
{
    private readonly Dictionary<int, long> _fromMetadata = []; // origin → floor: its dropped log entries are read from row metadata

    /// <summary>True when <paramref name="disclaimed"/> says the peer held <paramref name="site"/> up to
    /// <paramref name="floor"/> before disclaiming from above <paramref name="held"/> (its vector) on.</summary>
    private static bool Reflects(IReadOnlyList<OriginRange> disclaimed, string site, long held, long floor) =>
        disclaimed.Any(d => string.Equals(d.Site, site, StringComparison.Ordinal) && d.From <= held && d.To >= floor);

    /// <summary>
    /// Origin <paramref name="site"/>'s log past <paramref name="after"/>, in sequence order (<see cref="LogReader.Entries"/>);
    /// for an origin served from row metadata, merged with the entries compaction dropped up to the floor, rebuilt from
    /// the rows whose clocks still name them.
    /// </summary>
    private IEnumerable<LogReader.Entry> Entries(int site, long after)
    {
        if (!_fromMetadata.TryGetValue(site, out long floor))
        {
            return _log.Entries(site, after);
        }

        return Merge(Rebuilt(site, after, floor), _log.Entries(site, after));
    }

    /// <summary>
    /// One entry per row whose metadata names an event of <paramref name="site"/> in (<paramref name="after"/>,
    /// <paramref name="floor"/>], at the lowest such event, in sequence order: once the row is added, every event up to
    /// it is carried (an event no row names was superseded by a newer state of its row, which the peer gets as usual).
    /// Values kept aside for a missing column travel with their row (<see cref="Widen"/>).
    /// </summary>
    private List<LogReader.Entry> Rebuilt(int site, long after, long floor)
    {
        string name = _sites[site];
        var entries = new List<LogReader.Entry>();
        foreach (var (tid, pk, cl, blob) in _log.AllRowClocks())
        {
            if (!_tables.TryGetValue(tid, out var t))
            {
                continue;
            }

            bool deleted = cl % 2 == 0;
            long lowest = long.MaxValue;
            foreach (var c in ClockCodec.Decode(blob, deleted ? 1 : t.Columns.Count, SiteName, deleted ? 1 : t.LegacyClockWidth))
            {
                if (c.Seq > after && c.Seq <= floor && string.Equals(c.Site, name, StringComparison.Ordinal))
                {
                    lowest = Math.Min(lowest, c.Seq);
                }
            }

            if (lowest != long.MaxValue)
            {
                entries.Add(new LogReader.Entry(lowest, tid, pk, 0));
            }
        }

        entries.Sort((x, y) => x.Seq.CompareTo(y.Seq));
        return entries;
    }

    private static IEnumerable<LogReader.Entry> Merge(List<LogReader.Entry> rebuilt, IEnumerable<LogReader.Entry> logged)
    {
        int i = 0;
        foreach (var entry in logged)
        {
            while (i < rebuilt.Count && rebuilt[i].Seq < entry.Seq)
            {
                yield return rebuilt[i++];
            }

            yield return entry;
        }

        while (i < rebuilt.Count)
        {
            yield return rebuilt[i++];
        }
    }
}
