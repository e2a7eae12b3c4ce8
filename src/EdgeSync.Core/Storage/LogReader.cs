using EdgeSync.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// What extraction reads of EdgeSync's own tables, on a read connection inside the caller's read transaction (one
/// snapshot): the metadata snapshot (<see cref="LoadSnapshot"/>), the change log of an origin past a sequence number,
/// row clocks, insert ranges' origins, and a table's rows joined with their metadata. The statements read per row are
/// prepared once and kept until <see cref="Dispose"/>.
/// </summary>
internal sealed class LogReader : IDisposable
{
    private readonly SqliteConnection _db;
    private SqliteCommand? _firstMeta;
    private SqliteCommand? _rowClocks;
    private SqliteCommand? _stashRow;

    public LogReader(SqliteConnection readConnection) => _db = readConnection;

    /// <summary>The metadata an extraction starts from, all read in the caller's snapshot.</summary>
    /// <param name="SiteId">This replica's site id.</param>
    /// <param name="Sites">Local site index → site id (0: no site, "").</param>
    /// <param name="Vector">Local site index → highest sequence held.</param>
    /// <param name="Floor">Local site index → compaction floor.</param>
    /// <param name="Tables">The synced tables (<see cref="TableCatalog.Load"/>).</param>
    /// <param name="StashedColumns">Per table id, the columns values are kept aside for, and their senders' declared type.</param>
    /// <param name="Queued">Keys the capture triggers queued since the last seal (table id, key; a table not synced any more has a one-column key).</param>
    /// <param name="Disclaimed">What this replica disclaimed and still announces (<see cref="DisclaimRecords.Announced"/>).</param>
    internal sealed record Snapshot(
        string SiteId,
        Dictionary<int, string> Sites,
        Dictionary<int, long> Vector,
        Dictionary<int, long> Floor,
        List<TableInfo> Tables,
        Dictionary<int, List<(string Column, string Type)>> StashedColumns,
        List<(int Tid, object?[] Key)> Queued,
        List<(string Site, long From, long To)> Disclaimed);

    /// <summary>One entry of the change log: a row event (<paramref name="Span"/> 0) or an insert range.</summary>
    internal readonly record struct Entry(long Seq, int Tid, object Pk, long Span);

    public Snapshot LoadSnapshot()
    {
        var sites = SiteRegistry.ReadAll(_db).ToDictionary(s => s.Index, s => s.Site);
        sites[0] = "";
        var tables = TableCatalog.Load(_db);
        var widths = tables.ToDictionary(t => t.Id, t => t.PrimaryKey.Count);
        return new Snapshot(
            MetaTable.SiteId(_db),
            sites,
            VectorRecords.ReadVector(_db),
            VectorRecords.ReadFloor(_db),
            tables,
            StashStore.Columns(_db),
            CaptureQueue.QueuedKeys(_db, tid => widths.GetValueOrDefault(tid, 1)),
            DisclaimRecords.Announced(_db));
    }

    /// <summary>The lowest rowid of table <paramref name="tid"/> from <paramref name="lo"/> to <paramref name="hi"/> that has row metadata, or null.</summary>
    public long? FirstRowidWithMetadata(int tid, long lo, long hi)
    {
        _firstMeta ??= Sql.Prepare(_db, "SELECT min(pk) FROM _edgesync_rows WHERE tid = $t AND pk BETWEEN $lo AND $hi", "$t", "$lo", "$hi");
        _firstMeta.Set(0, (long)tid);
        _firstMeta.Set(1, lo);
        _firstMeta.Set(2, hi);
        return _firstMeta.ExecuteScalar() as long?;
    }

    /// <summary>
    /// Origin <paramref name="site"/>'s log past <paramref name="after"/> in sequence order, preceded by the insert range
    /// that covers <paramref name="after"/> when it still has numbers past it.
    /// </summary>
    public IEnumerable<Entry> Entries(int site, long after)
    {
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "SELECT seq, tid, pk, span FROM _edgesync_log WHERE site = $s AND seq <= $a AND span > 0 ORDER BY seq DESC LIMIT 1";
            cmd.Parameters.AddWithValue("$s", site);
            cmd.Parameters.AddWithValue("$a", after);
            using var r = cmd.ExecuteReader();
            if (r.Read() && r.GetInt64(0) + r.GetInt64(3) - 1 > after)
            {
                var entry = new Entry(r.GetInt64(0), (int)r.GetInt64(1), r.GetValue(2), r.GetInt64(3));
                r.Close();
                yield return entry;
            }
        }

        using var all = _db.CreateCommand();
        all.CommandText = "SELECT seq, tid, pk, span FROM _edgesync_log WHERE site = $s AND seq > $a ORDER BY seq";
        all.Parameters.AddWithValue("$s", site);
        all.Parameters.AddWithValue("$a", after);
        using var rr = all.ExecuteReader();
        while (rr.Read())
        {
            yield return new Entry(rr.GetInt64(0), (int)rr.GetInt64(1), rr.GetValue(2), rr.GetInt64(3));
        }
    }

    /// <summary>Every row's metadata, read as the caller goes: table id, stored key, causal length and encoded clocks.</summary>
    public IEnumerable<(int Tid, object Pk, long CausalLength, byte[] Clocks)> AllRowClocks()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT tid, pk, cl, clocks FROM _edgesync_rows";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return ((int)r.GetInt64(0), r.GetValue(1), r.GetInt64(2), (byte[])r.GetValue(3));
        }
    }

    /// <summary>A row's causal length and encoded clocks (<see cref="ClockCodec"/>), or null when it has no metadata.</summary>
    public (long CausalLength, byte[] Clocks)? RowClocks(int tid, object pk)
    {
        _rowClocks ??= Sql.Prepare(_db, "SELECT cl, clocks FROM _edgesync_rows WHERE tid = $t AND pk = $pk", "$t", "$pk");
        _rowClocks.Set(0, (long)tid);
        _rowClocks.Set(1, pk);
        using var r = _rowClocks.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), (byte[])r.GetValue(1)) : null;
    }

    /// <summary>The origin (local site index) and HLC of table <paramref name="tid"/>'s insert range starting at rowid <paramref name="first"/>.</summary>
    public (int Site, long Hlc) RangeOrigin(int tid, long first)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT site, hlc FROM _edgesync_log WHERE tid = $t AND pk = $lo AND span > 0";
        cmd.Parameters.AddWithValue("$t", tid);
        cmd.Parameters.AddWithValue("$lo", first);
        using var r = cmd.ExecuteReader();
        r.Read();
        return ((int)r.GetInt64(0), r.GetInt64(1));
    }

    /// <summary>
    /// At most <paramref name="limit"/> rows of <paramref name="t"/> with a rowid from <paramref name="lo"/> to
    /// <paramref name="hi"/>, ascending, each with its values and, where it has row metadata, its causal length and encoded clocks.
    /// </summary>
    public IEnumerable<(long Rowid, long? CausalLength, byte[]? Clocks, object?[] Values)> RowsWithMetadata(TableInfo t, long lo, long hi, int limit)
    {
        int n = t.Columns.Count;
        using var cmd = _db.CreateCommand();
        // "+u.rowid" strips the INTEGER affinity so the comparison uses _edgesync_rows' primary-key index.
        cmd.CommandText = $"SELECT u.rowid, m.cl, m.clocks, {string.Join(", ", t.Columns.Select(c => "u." + Sql.Quote(c)))} "
            + $"FROM {Sql.Quote(t.Name)} AS u LEFT JOIN _edgesync_rows AS m ON m.tid = $t AND m.pk = +u.rowid "
            + "WHERE u.rowid BETWEEN $lo AND $hi ORDER BY u.rowid LIMIT $n";
        cmd.Parameters.AddWithValue("$t", t.Id);
        cmd.Parameters.AddWithValue("$lo", lo);
        cmd.Parameters.AddWithValue("$hi", hi);
        cmd.Parameters.AddWithValue("$n", limit);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var values = new object?[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = r.IsDBNull(3 + i) ? null : r.GetValue(3 + i);
            }

            yield return r.IsDBNull(1)
                ? (r.GetInt64(0), null, null, values)
                : (r.GetInt64(0), r.GetInt64(1), (byte[])r.GetValue(2), values);
        }
    }

    /// <summary>The values kept aside (stash) for row <paramref name="pk"/> of table <paramref name="tid"/>.</summary>
    public List<StashStore.Entry> StashedForRow(int tid, object pk)
    {
        _stashRow ??= StashStore.PrepareForRow(_db);
        return StashStore.ForRow(_stashRow, tid, pk);
    }

    /// <summary>Releases the prepared statements (they are prepared again when needed).</summary>
    public void Dispose()
    {
        _firstMeta?.Dispose();
        _firstMeta = null;
        _rowClocks?.Dispose();
        _rowClocks = null;
        _stashRow?.Dispose();
        _stashRow = null;
    }
}
