using EdgeSync.Clocks;
using EdgeSync.Internal;

namespace EdgeSync.Storage;

/// <summary>
/// Encodes a row's clocks for <c>_edgesync_rows.clocks</c>: a zero, the number of columns, the distinct clocks once
/// each, then (only when there is more than one) which clock each column uses. Sites are stored as local indexes
/// (<see cref="SiteRegistry"/>). Blobs written before columns could be added start with the number of distinct clocks
/// (never zero) and cover the table's columns as they were then (<c>_edgesync_tables.width0</c>). Columns past a blob's
/// width (added to the table since the row was last written here) are <see cref="CellClock.Unwritten"/>.
/// </summary>
internal static class ClockCodec
{
    public static byte[] Encode(ReadOnlySpan<CellClock> clocks, Func<string, int> siteIndex, ByteWriter scratch)
    {
        scratch.Clear();
        scratch.WriteVarUInt(0);
        scratch.WriteVarUInt((uint)clocks.Length);
        Span<int> map = clocks.Length <= 256 ? stackalloc int[clocks.Length] : new int[clocks.Length];
        var distinct = new List<CellClock>(2);
        for (int i = 0; i < clocks.Length; i++)
        {
            int found = -1;
            for (int j = 0; j < distinct.Count; j++)
            {
                if (distinct[j] == clocks[i])
                {
                    found = j;
                    break;
                }
            }

            if (found < 0)
            {
                found = distinct.Count;
                distinct.Add(clocks[i]);
            }

            map[i] = found;
        }

        scratch.WriteVarUInt((uint)distinct.Count);
        foreach (var c in distinct)
        {
            scratch.WriteInt64(c.Hlc.Value);
            scratch.WriteVarUInt((uint)siteIndex(c.Site));
            scratch.WriteVarUInt((ulong)c.Seq);
            scratch.WriteInt64(c.PrevHlc.Value);
            scratch.WriteVarUInt((uint)siteIndex(c.PrevSite));
        }

        if (distinct.Count > 1)
        {
            foreach (int m in map)
            {
                scratch.WriteVarUInt((uint)m);
            }
        }

        return scratch.ToArray();
    }

    /// <summary>
    /// Decodes into one clock per column (<paramref name="columns"/> of them; 1 for a tombstone).
    /// <paramref name="legacyWidth"/> is the width of blobs in the first format (the table's column count before its
    /// first schema change).
    /// </summary>
    public static CellClock[] Decode(ReadOnlySpan<byte> blob, int columns, Func<int, string> siteName, int legacyWidth = -1)
    {
        var r = new ByteReader(blob);
        int first = r.ReadCount(int.MaxValue);
        int width = legacyWidth < 0 ? columns : legacyWidth;
        int k = first;
        if (first == 0)
        {
            width = r.ReadCount(int.MaxValue);
            k = r.ReadCount(Math.Max(width, 1));
        }

        var distinct = new CellClock[k];
        for (int j = 0; j < k; j++)
        {
            var hlc = new Hlc(r.ReadInt64());
            var site = siteName((int)r.ReadVarUInt());
            long seq = (long)r.ReadVarUInt();
            var prev = new Hlc(r.ReadInt64());
            var prevSite = siteName((int)r.ReadVarUInt());
            distinct[j] = new CellClock(hlc, site, seq, prev, prevSite);
        }

        var result = new CellClock[columns];
        int stored = Math.Min(width, columns);
        if (k == 1)
        {
            Array.Fill(result, distinct[0], 0, stored);
        }
        else
        {
            for (int i = 0; i < width; i++)
            {
                var c = distinct[r.ReadCount(k - 1)];
                if (i < columns)
                {
                    result[i] = c;
                }
            }
        }

        for (int i = stored; i < columns; i++)
        {
            result[i] = CellClock.Unwritten;
        }

        return result;
    }
}
