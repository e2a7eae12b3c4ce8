using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Extract;

/// <summary>
/// Streams the changes a peer has not seen as bounded <see cref="ChangeBatch"/>es, from one read snapshot on its own
/// connection (WAL: writers are never blocked). For each origin it walks <c>_edgesync_log</c> past the peer's vector
/// in sequence order and emits each referenced row's current full state; insert ranges are read straight from the
/// user table by rowid. Memory is bounded by one batch, whatever the backlog.
/// </summary>
internal sealed partial class ChangeExtractor : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Dictionary<int, string> _sites = [];
    private readonly Dictionary<int, TableInfo> _tables = [];
    private readonly Dictionary<int, TableInfo> _outTables = []; // as sent: with the columns kept aside here (stash) after the table's own
    private readonly Dictionary<int, List<(string Column, string Type)>> _stashed = [];
    private readonly Dictionary<int, long> _vector = [];
    private readonly Dictionary<int, long> _floor = [];
    private readonly HashSet<(int, object)> _dirty = new(KeyComparer.Instance);
    private readonly Dictionary<int, SqliteCommand> _selects = [];
    private readonly Dictionary<int, long[]> _dirtyRowids = [];
    private readonly LogReader _log;
    private readonly RunReader _runs;
    private readonly int _maxRows;
    private readonly Func<string, bool>? _tableFilter;
    private readonly long _maxBytes;
    private string _self = "";
    private List<OriginRange> _disclaimed = [];

    public ChangeExtractor(SqliteConnection readConnection, int maxRows, long maxBytes, Func<string, bool>? tableFilter = null)
    {
        _tableFilter = tableFilter;
        _db = readConnection;
        _maxRows = maxRows;
        _maxBytes = maxBytes;
        _runs = new RunReader(readConnection);
        _log = new LogReader(readConnection);
    }

    /// <summary>Releases the prepared statements (also done when an extraction ends).</summary>
    public void Dispose()
    {
        _runs.Dispose();
        _log.Dispose();
    }

    /// <param name="peer">The peer's vector.</param>
    /// <param name="peerDisclaimed">What the peer announced it disclaimed (<see cref="ChangeBatch.Disclaimed"/>): below this
    /// replica's floor for an origin only by events it held and disclaimed, it is served from row metadata, not refused.</param>
    public IEnumerable<ChangeBatch> Extract(VersionVector peer, IReadOnlyList<OriginRange> peerDisclaimed)
    {
        Sql.Exec(_db, "BEGIN");
        try
        {
            LoadSnapshot();
            foreach (var b in ExtractCore(peer, peerDisclaimed))
            {
                yield return b;
            }
        }
        finally
        {
            foreach (var cmd in _selects.Values)
            {
                cmd.Dispose();
            }

            _selects.Clear();
            Dispose();
            Sql.Exec(_db, "COMMIT");
        }
    }

    private void LoadSnapshot()
    {
        var snapshot = _log.LoadSnapshot();
        _self = snapshot.SiteId;
        _disclaimed = snapshot.Disclaimed.Select(d => new OriginRange(d.Site, d.From, d.To)).ToList();
        foreach (var (idx, site) in snapshot.Sites)
        {
            _sites[idx] = site;
        }

        foreach (var (site, seq) in snapshot.Vector)
        {
            _vector[site] = seq;
        }

        foreach (var t in snapshot.Tables)
        {
            _tables[t.Id] = t;
            _outTables[t.Id] = t;
        }

        // Values received for columns a table here does not have travel on with their rows (a relay at an older
        // schema version loses nothing); a column the table has with another declared type is not relayed.
        foreach (var (tid, columns) in snapshot.StashedColumns)
        {
            if (_tables.TryGetValue(tid, out var t) && columns.Where(c => t.DeclaredTypeOf(c.Column) is null).ToList() is { Count: > 0 } extra)
            {
                _stashed[tid] = extra;
                _outTables[tid] = t with
                {
                    Columns = [.. t.Columns, .. extra.Select(c => c.Column)],
                    DeclaredTypes = [.. TypesOf(t), .. extra.Select(c => c.Type)],
                };
            }
        }

        LoadDirty(snapshot.Queued);
        foreach (var (site, seq) in snapshot.Floor)
        {
            _floor[site] = seq;
        }
    }

    /// <summary>Rows changed locally since the last seal: their stored state is not final yet.</summary>
    private void LoadDirty(List<(int Tid, object?[] Key)> queued)
    {
        var scratch = new ByteWriter();
        foreach (var (tid, key) in queued)
        {
            if (key.All(k => k is not null))
            {
                _dirty.Add((tid, KeyCodec.ToStored(key, scratch)));
            }
        }

        foreach (var group in _dirty.Where(d => d.Item2 is long).GroupBy(d => d.Item1))
        {
            var rowids = group.Select(d => (long)d.Item2).ToArray();
            Array.Sort(rowids);
            _dirtyRowids[group.Key] = rowids;
        }
    }

    /// <summary>
    /// The first rowid in [<paramref name="lo"/>, <paramref name="hi"/>] that cannot travel in a run: one with
    /// per-row metadata (updated, deleted, or stored per row at a relay) or written since the last seal;
    /// <paramref name="hi"/> + 1 when there is none.
    /// </summary>
    private long FirstSpecial(int tid, long lo, long hi)
    {
        long barrier = _log.FirstRowidWithMetadata(tid, lo, hi) ?? hi + 1;
        if (_dirtyRowids.TryGetValue(tid, out var dirty))
        {
            int i = Array.BinarySearch(dirty, lo);
            i = i < 0 ? ~i : i;
            if (i < dirty.Length && dirty[i] < barrier)
            {
                barrier = dirty[i];
            }
        }

        return barrier;
    }

    private IEnumerable<ChangeBatch> ExtractCore(VersionVector peer, IReadOnlyList<OriginRange> peerDisclaimed)
    {
        var myVector = VersionVector.From(_vector.Select(e => new KeyValuePair<string, long>(_sites[e.Key], e.Value)));
        var work = _vector.Where(e => e.Value > peer[_sites[e.Key]])
            .OrderBy(e => _sites[e.Key], StringComparer.Ordinal).ToList();
        foreach (var (site, _) in work)
        {
            long floor = _floor.GetValueOrDefault(site);
            if (peer[_sites[site]] < floor && Reflects(peerDisclaimed, _sites[site], peer[_sites[site]], floor))
            {
                _fromMetadata[site] = floor; // the peer disclaimed what it lacks here: served from row metadata
            }
            else if (peer[_sites[site]] < floor)
            {
                throw new SyncStateException(ErrorCode.ResyncRequired,
                    $"the peer has changes of site '{_sites[site]}' only up to {peer[_sites[site]]}, but this replica compacted its log up to {floor}; "
                    + "re-seed the peer from a backup or snapshot of a current replica");
            }
        }

        var builder = new BatchBuilder(_self, myVector, _outTables, _maxRows, _maxBytes, _disclaimed);
        foreach (var (site, top) in work)
        {
            string name = _sites[site];
            long from = peer[name];
            bool blocked = false;
            builder.StartOrigin(name, from);
            foreach (var (seq, tid, pk, span) in Entries(site, from))
            {
                // Entries past this replica's vector were received out of order, after a gap it does not hold yet:
                // a range must never promise the gap, or the peer would skip it for good. They follow once it is filled.
                if (seq > top)
                {
                    break;
                }

                if ((_tableFilter is not null && !_tableFilter(_tables[tid].Name)) || _tables[tid].Drift is not null)
                {
                    // Withheld from this peer by the caller, or the table's sync is stopped here (schema drift): its
                    // changes are skipped, and the range still covers them.
                    builder.Reached(Math.Min(seq + Math.Max(span, 1) - 1, top));
                    if (builder.Full)
                    {
                        yield return builder.Flush();
                    }

                    continue;
                }

                if (span == 0)
                {
                    if (IsDirty(tid, pk))
                    {
                        blocked = true; // written locally since the last seal: send it once it has a clock
                        break;
                    }

                    if (LoadRow(tid, pk) is { } s)
                    {
                        builder.Add(tid, pk, s.Key, s.State);
                    }

                    builder.Reached(seq);
                    if (builder.Full)
                    {
                        yield return builder.Flush();
                    }

                    continue;
                }

                // An insert range: sequence numbers seq..seq+span-1 map to rowids pk..pk+span-1.
                long first = (long)pk;
                long lo = first + Math.Max(0, from - seq + 1);
                long hi = first + Math.Min(span, top - seq + 1) - 1;
                while (lo <= hi && !blocked)
                {
                    int room = builder.RoomLeft;
                    long barrier = _tables[tid].Policy == TablePolicy.Append && !_stashed.ContainsKey(tid) ? FirstSpecial(tid, lo, hi) : lo;
                    if (barrier > lo)
                    {
                        // Rows without metadata up to the barrier: shipped as one run, unboxed.
                        var (rangeSite, rangeHlc) = RangeInfo(tid, first);
                        var run = _runs.Read(_tables[tid], lo, barrier - 1, room, _sites.GetValueOrDefault(rangeSite) ?? _self, new Hlc(rangeHlc), seq, first);
                        int got = run?.Count ?? 0;
                        if (run is not null)
                        {
                            builder.AddRun(tid, run);
                        }

                        bool all = got < room;
                        long last = all ? barrier - 1 : run!.Rowids[got - 1];
                        builder.Reached(seq + (last - first));
                        lo = last + 1;
                    }
                    else
                    {
                        // Rows with metadata (or written since the last seal) one at a time, as full states.
                        long last = lo - 1;
                        int got = 0;
                        int limit = _tables[tid].Policy == TablePolicy.Append ? 1 : room;
                        foreach (var (rowid, key, state) in RangeRows(tid, first, seq, lo, hi, limit))
                        {
                            if (IsDirty(tid, rowid))
                            {
                                blocked = true;
                                break;
                            }

                            builder.Add(tid, rowid, key, state);
                            last = rowid;
                            got++;
                        }

                        bool done = !blocked && got < limit;
                        builder.Reached(done ? seq + (hi - first) : seq + (last - first));
                        lo = done ? hi + 1 : last + 1;
                    }

                    if (builder.Full)
                    {
                        yield return builder.Flush();
                    }
                }

                if (blocked)
                {
                    break;
                }
            }

            if (!blocked)
            {
                builder.Reached(top);
            }
        }

        if (builder.HasContent)
        {
            yield return builder.Flush();
        }
    }

    private bool IsDirty(int tid, object storedKey) => _dirty.Count > 0 && _dirty.Contains((tid, storedKey));

    private (object?[] Key, RowState State)? LoadRow(int tid, object pk)
    {
        var t = _tables[tid];
        var key = KeyCodec.FromStored(pk, t.PrimaryKey.Count);
        if (_log.RowClocks(tid, pk) is not { } meta)
        {
            return null; // compacted tombstone, or a row that only ever existed between two seals
        }

        var (cl, blob) = meta;

        if (cl % 2 == 0)
        {
            return (key, RowState.Deleted(cl, ClockCodec.Decode(blob, 1, SiteName, 1)[0]));
        }

        var values = SelectRow(t, key);
        return values is null ? null : (key, Widen(tid, pk, RowState.Alive(cl, values, ClockCodec.Decode(blob, t.Columns.Count, SiteName, t.LegacyClockWidth))));
    }

    /// <summary>Adds the row's values kept aside for columns the table does not have here (<see cref="CellClock.Unwritten"/> where none).</summary>
    private RowState Widen(int tid, object pk, RowState state)
    {
        if (state.IsDeleted || !_stashed.TryGetValue(tid, out var extra))
        {
            return state;
        }

        int n = state.Values!.Length;
        var values = new object?[n + extra.Count];
        var clocks = new CellClock[n + extra.Count];
        state.Values.CopyTo(values, 0);
        state.Clocks.CopyTo(clocks, 0);
        Array.Fill(clocks, CellClock.Unwritten, n, extra.Count);
        foreach (var e in _log.StashedForRow(tid, pk))
        {
            int i = extra.FindIndex(c => string.Equals(c.Column, e.Column, StringComparison.OrdinalIgnoreCase));
            if (i >= 0)
            {
                values[n + i] = e.Value;
                clocks[n + i] = e.Clock;
            }
        }

        return RowState.Alive(state.CausalLength, values, clocks);
    }

    private static IEnumerable<string> TypesOf(TableInfo t) =>
        t.DeclaredTypes.Count == t.Columns.Count ? t.DeclaredTypes : t.Columns.Select(_ => "");

    private object?[]? SelectRow(TableInfo t, object?[] key)
    {
        if (!_selects.TryGetValue(t.Id, out var cmd))
        {
            var where = string.Join(" AND ", t.PrimaryKey.Select((c, i) => $"{Sql.Quote(t.Columns[c])} = $k{i}"));
            cmd = Sql.Prepare(_db, $"SELECT {string.Join(", ", t.Columns.Select(Sql.Quote))} FROM {Sql.Quote(t.Name)} WHERE {where}",
                t.PrimaryKey.Select((_, i) => $"$k{i}").ToArray());
            _selects[t.Id] = cmd;
        }

        for (int i = 0; i < key.Length; i++)
        {
            cmd.Set(i, key[i]);
        }

        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadValues(r, 0, t.Columns.Count) : null;
    }

    private IEnumerable<(long Rowid, object?[] Key, RowState State)> RangeRows(int tid, long rangeLo, long rangeSeq, long lo, long hi, int limit)
    {
        var t = _tables[tid];
        int n = t.Columns.Count;
        var siteName = _sites.GetValueOrDefault(SiteOfRange(tid, rangeLo)) ?? _self;
        foreach (var (rowid, causalLength, blob, values) in _log.RowsWithMetadata(t, lo, hi, limit))
        {
            var key = new object?[] { rowid };
            CellClock[] clocks;
            long cl = 1;
            if (causalLength is { } length)
            {
                cl = length;
                clocks = ClockCodec.Decode(blob!, n, SiteName, t.LegacyClockWidth);
            }
            else
            {
                clocks = new CellClock[n];
                Array.Fill(clocks, new CellClock(new Hlc(RangeHlc(tid, rangeLo)), siteName, rangeSeq + (rowid - rangeLo), Hlc.Zero, ""));
            }

            yield return (rowid, key, Widen(tid, rowid, RowState.Alive(cl, values, clocks)));
        }
    }

    private readonly Dictionary<(int, long), (int Site, long Hlc)> _rangeInfo = [];

    private (int Site, long Hlc) RangeInfo(int tid, long lo)
    {
        if (!_rangeInfo.TryGetValue((tid, lo), out var info))
        {
            info = _log.RangeOrigin(tid, lo);
            _rangeInfo[(tid, lo)] = info;
        }

        return info;
    }

    private int SiteOfRange(int tid, long lo) => RangeInfo(tid, lo).Site;

    private long RangeHlc(int tid, long lo) => RangeInfo(tid, lo).Hlc;

    private string SiteName(int idx) => _sites.TryGetValue(idx, out var s) ? s
        : throw new InvalidDataException($"metadata refers to unknown site index {idx}");

    private static object?[] ReadValues(SqliteDataReader r, int offset, int n)
    {
        var values = new object?[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = r.IsDBNull(offset + i) ? null : r.GetValue(offset + i);
        }

        return values;
    }
}
