using EdgeSync.Clocks;
using EdgeSync.Internal;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Extract;

/// <summary>
/// Reads rows of an insert range that have no per-row metadata straight into an <see cref="InsertRun"/>: one
/// prepared rowid-range scan per table, values copied as numbers and UTF-8 bytes.
/// </summary>
internal sealed class RunReader : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Dictionary<int, RawStatement> _selects = [];

    public RunReader(SqliteConnection db) => _db = db;

    /// <summary>
    /// Up to <paramref name="limit"/> rows with rowids in [<paramref name="lo"/>, <paramref name="hi"/>]; rowid
    /// <c>r</c> has sequence number <c>rangeSeq + (r − rangeFirst)</c>. Null when there are none.
    /// </summary>
    public InsertRun? Read(TableInfo table, long lo, long hi, int limit, string site, Hlc hlc, long rangeSeq, long rangeFirst)
    {
        if (!_selects.TryGetValue(table.Id, out var select))
        {
            // Insert ranges exist only for tables whose key is the rowid (INTEGER PRIMARY KEY): that column is the rowid.
            select = new RawStatement(_db, $"SELECT {string.Join(", ", table.Columns.Select(Sql.Quote))} FROM {Sql.Quote(table.Name)} "
                + "WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid LIMIT ?3");
            _selects[table.Id] = select;
        }

        int n = table.Columns.Count;
        int key = table.PrimaryKey[0];
        int capacity = (int)Math.Min(limit, hi - lo + 1);
        var rowids = new long[capacity];
        var columns = new ColumnVector[n];
        for (int c = 0; c < n; c++)
        {
            columns[c] = new ColumnVector(capacity);
        }

        select.BindInt64(0, lo);
        select.BindInt64(1, hi);
        select.BindInt64(2, limit);
        int count = 0;
        try
        {
            while (count < capacity && select.Step())
            {
                for (int c = 0; c < n; c++)
                {
                    select.ReadInto(c, columns[c]);
                }

                rowids[count] = columns[key].Int64At(count);
                count++;
            }
        }
        finally
        {
            select.Reset();
        }

        return count == 0 ? null : new InsertRun(site, hlc, rangeSeq + (rowids[0] - rangeFirst), rowids, count, columns);
    }

    public void Dispose()
    {
        foreach (var s in _selects.Values)
        {
            s.Dispose();
        }

        _selects.Clear();
    }
}
