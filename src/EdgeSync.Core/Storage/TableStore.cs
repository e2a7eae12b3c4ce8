using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// Prepared statements for one synced table on the writer connection: read and write user rows by key, and the
/// row's metadata. Loads a row's full <see cref="RowState"/> from the user row, its metadata row, or the insert
/// range that captured it.
/// </summary>
internal sealed partial class TableStore : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly SiteRegistry _sites;
    private readonly ByteWriter _scratch = new();
    private readonly SqliteCommand _select;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _getMeta;
    private readonly SqliteCommand _putMeta;
    private readonly SqliteCommand _putClocks;
    private readonly SqliteCommand _deleteMeta;
    private readonly SqliteCommand _findRange;
    private readonly SqliteCommand _insertIfNew;
    private readonly Dictionary<string, SqliteCommand> _updates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteCommand> _inserts = new(StringComparer.Ordinal);
    private readonly string _where;

    public TableStore(SqliteConnection db, SiteRegistry sites, TableInfo info)
    {
        _db = db;
        _sites = sites;
        Info = info;
        QuotedName = Sql.Quote(info.Name);
        KeyNames = info.PrimaryKey.Select(i => info.Columns[i]).ToArray();
        _where = string.Join(" AND ", info.PrimaryKey.Select((c, i) => $"{Sql.Quote(info.Columns[c])} = $k{i}"));
        var keyParams = info.PrimaryKey.Select((_, i) => $"$k{i}").ToArray();
        var cols = string.Join(", ", info.Columns.Select(Sql.Quote));
        _select = Sql.Prepare(db, $"SELECT {cols} FROM {QuotedName} WHERE {_where}", keyParams);
        var valueParams = info.Columns.Select((_, i) => $"$v{i}").ToArray();
        _insert = Sql.Prepare(db, $"INSERT INTO {QuotedName}({cols}) VALUES ({string.Join(", ", valueParams)})", valueParams);
        _delete = Sql.Prepare(db, $"DELETE FROM {QuotedName} WHERE {_where}", keyParams);
        _getMeta = Sql.Prepare(db, "SELECT cl, clocks FROM _edgesync_rows WHERE tid = $t AND pk = $pk", "$t", "$pk");
        _putMeta = Sql.Prepare(db, "INSERT OR REPLACE INTO _edgesync_rows(tid, pk, cl, clocks, sums) VALUES ($t, $pk, $cl, $c, $s)",
            "$t", "$pk", "$cl", "$c", "$s");
        _putClocks = Sql.Prepare(db,
            "INSERT INTO _edgesync_rows(tid, pk, cl, clocks) VALUES ($t, $pk, $cl, $c) ON CONFLICT(tid, pk) DO UPDATE SET cl = excluded.cl, clocks = excluded.clocks",
            "$t", "$pk", "$cl", "$c");
        _deleteMeta = Sql.Prepare(db, "DELETE FROM _edgesync_rows WHERE tid = $t AND pk = $pk", "$t", "$pk");
        // The nearest range that covers the rowid (ranges of different origins may nest: a local row can land in
        // the span of a range received from a peer, and the other way round).
        _findRange = Sql.Prepare(db,
            "SELECT site, seq, pk, span, hlc FROM _edgesync_log WHERE tid = $t AND span > 0 AND pk <= $pk AND pk + span > $pk ORDER BY pk DESC LIMIT 1",
            "$t", "$pk");
        _insertIfNew = Sql.Prepare(db,
            $"INSERT OR IGNORE INTO {QuotedName}({cols}) VALUES ({string.Join(", ", valueParams)})", valueParams);
        _getMeta.Set(0, info.Id);
        _putMeta.Set(0, info.Id);
        _putClocks.Set(0, info.Id);
        _deleteMeta.Set(0, info.Id);
        _findRange.Set(0, info.Id);
        CausalFloor = Sql.Scalar(db, "SELECT clfloor FROM _edgesync_tables WHERE tid = $t", ("$t", (long)info.Id)) is long f ? f : 0;
    }

    /// <summary>
    /// The highest causal length of a tombstone compaction dropped from this table (0 when none was): a row that
    /// appears here with no metadata of its own continues above it, so it beats a tombstone a peer may still keep.
    /// </summary>
    public long CausalFloor { get; set; }

    public TableInfo Info { get; }

    public string QuotedName { get; }

    public IReadOnlyList<string> KeyNames { get; }

    public int ColumnCount => Info.Columns.Count;

    public object?[] KeyOf(object?[] values)
    {
        var key = new object?[Info.PrimaryKey.Count];
        for (int i = 0; i < key.Length; i++)
        {
            key[i] = values[Info.PrimaryKey[i]];
        }

        return key;
    }

    public object StoredKey(ReadOnlySpan<object?> key) => KeyCodec.ToStored(key, _scratch);

    public object?[]? SelectRow(ReadOnlySpan<object?> key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            _select.Set(i, key[i]);
        }

        using var r = _select.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }

        var values = new object?[ColumnCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = r.IsDBNull(i) ? null : r.GetValue(i);
        }

        return values;
    }

    /// <summary>Loads the local state of a row, or null when this replica has never seen it.</summary>
    public RowState? LoadState(ReadOnlySpan<object?> key, object storedKey)
    {
        var prior = LoadClocks(key, storedKey);
        if (prior is null || prior.IsDeleted)
        {
            return prior;
        }

        var values = SelectRow(key);
        if (values is null)
        {
            return prior.CausalLength > 1 || HasMeta(storedKey)
                ? throw new InvalidDataException(
                    $"table '{Info.Name}': metadata says row {KeyText(key)} exists but it is missing; the database was changed with triggers disabled")
                : null; // an insert range covers the rowid, but no row was ever there
        }

        return RowState.Alive(prior.CausalLength, values, prior.Clocks);
    }

    /// <summary>
    /// The row's causal length and clocks without its values (which may already be gone): from its metadata row, or
    /// from the insert range that captured it. Values of a live state are left null.
    /// </summary>
    public RowState? LoadClocks(ReadOnlySpan<object?> key, object storedKey)
    {
        _getMeta.Set(1, storedKey);
        using (var r = _getMeta.ExecuteReader())
        {
            if (r.Read())
            {
                long cl = r.GetInt64(0);
                var blob = (byte[])r.GetValue(1);
                return cl % 2 == 0
                    ? RowState.Deleted(cl, ClockCodec.Decode(blob, 1, _sites.NameOf)[0])
                    : RowState.Alive(cl, new object?[ColumnCount], ClockCodec.Decode(blob, ColumnCount, _sites.NameOf, Info.LegacyClockWidth));
            }
        }

        if (Info.Mode == CaptureMode.RowidScan && key[0] is long rowid && RangeClock(rowid) is { } clock)
        {
            var clocks = new CellClock[ColumnCount];
            Array.Fill(clocks, clock);
            return RowState.Alive(1, new object?[ColumnCount], clocks);
        }

        return null;
    }

    /// <summary>
    /// For a table captured by rowid scan, the highest rowid its insert ranges cover (rows past it are sealed into the
    /// next range, at causal length 1); null for a table captured by triggers.
    /// </summary>
    public long? InsertWatermark() => Info.Mode == CaptureMode.RowidScan ? AppendRuns.Frontier(_db, Info.Id) : null;

    /// <summary>True when the row has a metadata row of its own (not only an insert range).</summary>
    public bool HasMeta(object storedKey)
    {
        _getMeta.Set(1, storedKey);
        using var r = _getMeta.ExecuteReader();
        return r.Read();
    }

    /// <summary>The clock of the insert range that captured <paramref name="rowid"/>, if one covers it.</summary>
    public CellClock? RangeClock(long rowid)
    {
        _findRange.Set(1, rowid);
        using var r = _findRange.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }

        long lo = r.GetInt64(2);
        long span = r.GetInt64(3);
        if (rowid >= lo + span)
        {
            return null;
        }

        return new CellClock(new Hlc(r.GetInt64(4)), _sites.NameOf((int)r.GetInt64(0)), r.GetInt64(1) + (rowid - lo), Hlc.Zero, "");
    }

    /// <summary>The first rowid of the insert range that covers <paramref name="rowid"/>, if one does.</summary>
    public long? RangeStart(long rowid)
    {
        _findRange.Set(1, rowid);
        using var r = _findRange.ExecuteReader();
        return r.Read() ? r.GetInt64(2) : null;
    }

    /// <summary>
    /// Records a row's state: its clocks and, for a live row, the fingerprints of <paramref name="state"/>'s values
    /// (<see cref="RowSums"/>), which must be what the table now holds.
    /// </summary>
    public void PutMeta(object storedKey, RowState state)
    {
        _putMeta.Set(1, storedKey);
        _putMeta.Set(2, state.CausalLength);
        _putMeta.Set(3, ClockCodec.Encode(state.Clocks, s => _sites.GetOrAdd(_db, s), _scratch));
        _putMeta.Set(4, state.Values is { } values ? RowSums.Of(values) : null);
        _putMeta.ExecuteNonQuery();
    }

    /// <summary>
    /// Records a row's causal length and clocks and keeps its recorded value fingerprints: for a caller whose state
    /// carries no values (a re-stamp, a re-offer), so the row's content did not change.
    /// </summary>
    public void PutClocks(object storedKey, RowState state)
    {
        _putClocks.Set(1, storedKey);
        _putClocks.Set(2, state.CausalLength);
        _putClocks.Set(3, ClockCodec.Encode(state.Clocks, s => _sites.GetOrAdd(_db, s), _scratch));
        _putClocks.ExecuteNonQuery();
    }

    public void DeleteMeta(object storedKey)
    {
        _deleteMeta.Set(1, storedKey);
        _deleteMeta.ExecuteNonQuery();
    }

    public void InsertRow(object?[] values, CellClock[]? clocks = null)
    {
        if (Omitted(clocks) is { } omit)
        {
            InsertOmitting(values, omit, orIgnore: false);
            return;
        }

        for (int i = 0; i < values.Length; i++)
        {
            _insert.Set(i, values[i]);
        }

        _insert.ExecuteNonQuery();
    }

    /// <summary>Inserts the row unless its key exists; true when it was inserted.</summary>
    public bool TryInsertRow(object?[] values, CellClock[]? clocks = null)
    {
        if (Omitted(clocks) is { } omit)
        {
            return InsertOmitting(values, omit, orIgnore: true) == 1;
        }

        for (int i = 0; i < values.Length; i++)
        {
            _insertIfNew.Set(i, values[i]);
        }

        return _insertIfNew.ExecuteNonQuery() == 1;
    }

    /// <summary>
    /// Columns a new row leaves to their declared default: those whose clock is <see cref="CellClock.Unwritten"/>
    /// (the sender does not have the column). Null when there are none.
    /// </summary>
    private string? Omitted(CellClock[]? clocks)
    {
        if (clocks is null)
        {
            return null;
        }

        char[]? sig = null;
        for (int i = 0; i < clocks.Length; i++)
        {
            if (clocks[i].IsUnwritten && !Info.PrimaryKey.Contains(i))
            {
                sig ??= new string('0', clocks.Length).ToCharArray();
                sig[i] = '1';
            }
        }

        return sig is null ? null : new string(sig);
    }

    private int InsertOmitting(object?[] values, string omit, bool orIgnore)
    {
        var key = (orIgnore ? "i" : "n") + omit;
        if (!_inserts.TryGetValue(key, out var cmd))
        {
            var kept = Enumerable.Range(0, ColumnCount).Where(i => omit[i] == '0').ToArray();
            cmd = Sql.Prepare(_db,
                $"INSERT {(orIgnore ? "OR IGNORE " : "")}INTO {QuotedName}({string.Join(", ", kept.Select(i => Sql.Quote(Info.Columns[i])))}) "
                + $"VALUES ({string.Join(", ", kept.Select(i => $"$v{i}"))})",
                [.. kept.Select(i => $"$v{i}")]);
            _inserts[key] = cmd;
        }

        int p = 0;
        for (int i = 0; i < ColumnCount; i++)
        {
            if (omit[i] == '0')
            {
                cmd.Set(p++, values[i]);
            }
        }

        return cmd.ExecuteNonQuery();
    }

    public void DeleteRow(ReadOnlySpan<object?> key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            _delete.Set(i, key[i]);
        }

        _delete.ExecuteNonQuery();
    }

    /// <summary>Updates the flagged columns (all non-key columns when <paramref name="changed"/> is null).</summary>
    public void UpdateRow(object?[] values, bool[]? changed)
    {
        Span<char> sig = stackalloc char[ColumnCount];
        int count = 0;
        for (int i = 0; i < ColumnCount; i++)
        {
            bool set = (changed is null || changed[i]) && !Info.PrimaryKey.Contains(i);
            sig[i] = set ? '1' : '0';
            count += set ? 1 : 0;
        }

        if (count == 0)
        {
            return;
        }

        var key = new string(sig);
        if (!_updates.TryGetValue(key, out var cmd))
        {
            var sets = new List<string>();
            var names = new List<string>();
            for (int i = 0; i < ColumnCount; i++)
            {
                if (sig[i] == '1')
                {
                    sets.Add($"{Sql.Quote(Info.Columns[i])} = $v{i}");
                    names.Add($"$v{i}");
                }
            }

            names.AddRange(Info.PrimaryKey.Select((_, i) => $"$pk{i}"));
            cmd = Sql.Prepare(_db,
                $"UPDATE {QuotedName} SET {string.Join(", ", sets)} WHERE {_where.Replace("$k", "$pk", StringComparison.Ordinal)}",
                [.. names]);
            _updates[key] = cmd;
        }

        int p = 0;
        for (int i = 0; i < ColumnCount; i++)
        {
            if (sig[i] == '1')
            {
                cmd.Set(p++, values[i]);
            }
        }

        foreach (int k in Info.PrimaryKey)
        {
            cmd.Set(p++, values[k]);
        }

        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// A raw statement inserting one row unless its key is taken, binding the columns <paramref name="map"/> names
    /// (local column indexes, in the order the caller binds them); columns not named take their declared default.
    /// </summary>
    public RawStatement PrepareInsertIfNew(int[] map) =>
        new(_db, $"INSERT OR IGNORE INTO {QuotedName}({string.Join(", ", map.Select(c => Sql.Quote(Info.Columns[c])))}) "
            + $"VALUES ({string.Join(", ", Enumerable.Range(1, map.Length).Select(n => "?" + n))})");

    /// <summary>A raw statement returning 1 when the table holds a row with a rowid between parameters 1 and 2, else 0.</summary>
    public RawStatement PrepareAnyRowBetween() => new(_db, $"SELECT EXISTS (SELECT 1 FROM {QuotedName} WHERE rowid BETWEEN ?1 AND ?2)");

    /// <summary>The table's highest rowid, 0 when it is empty.</summary>
    public long MaxRowid() => Sql.Scalar(_db, $"SELECT max(rowid) FROM {QuotedName}") is long max ? max : 0;

    /// <summary>How many rows the table holds with a rowid from <paramref name="lo"/> to <paramref name="hi"/>.</summary>
    public long CountRows(long lo, long hi) =>
        (long)Sql.Scalar(_db, $"SELECT count(*) FROM {QuotedName} WHERE rowid BETWEEN $a AND $b", ("$a", lo), ("$b", hi))!;

    /// <summary>Rowids above <paramref name="after"/> and up to <paramref name="upTo"/> that have row metadata, ascending.</summary>
    public List<long> RowidsWithMetadata(long after, long upTo)
    {
        var rowids = new List<long>();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT pk FROM _edgesync_rows WHERE tid = $t AND pk > $lo AND pk <= $hi ORDER BY pk";
        cmd.Parameters.AddWithValue("$t", Info.Id);
        cmd.Parameters.AddWithValue("$lo", after);
        cmd.Parameters.AddWithValue("$hi", upTo);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            if (r.GetValue(0) is long k)
            {
                rowids.Add(k);
            }
        }

        return rowids;
    }

    public static string KeyText(ReadOnlySpan<object?> key)
    {
        var parts = new string[key.Length];
        for (int i = 0; i < key.Length; i++)
        {
            parts[i] = SqlValue.Display(key[i]);
        }

        return parts.Length == 1 ? parts[0] : "(" + string.Join(", ", parts) + ")";
    }

    public void Dispose()
    {
        foreach (var c in _updates.Values.Concat(_inserts.Values))
        {
            c.Dispose();
        }

        _select.Dispose();
        _insert.Dispose();
        _delete.Dispose();
        _getMeta.Dispose();
        _putMeta.Dispose();
        _deleteMeta.Dispose();
        _findRange.Dispose();
        _insertIfNew.Dispose();
    }
}
