using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EdgeSync.Internal;

/// <summary>
/// A prepared statement used through SQLitePCLRaw (the layer under Microsoft.Data.Sqlite) on a connection's own
/// handle, for the bulk paths that move a million rows: values are bound and read as typed numbers and UTF-8 spans,
/// with no boxing or string per value. Errors surface as <see cref="SqliteException"/>, as they would through
/// Microsoft.Data.Sqlite. Runs inside whatever transaction the connection has open.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _stmt));
    }

    public void BindInt64(int index, long value) => Check(raw.sqlite3_bind_int64(_stmt, index + 1, value));

    public void BindDouble(int index, double value) => Check(raw.sqlite3_bind_double(_stmt, index + 1, value));

    public void BindText(int index, ReadOnlySpan<byte> utf8) => Check(raw.sqlite3_bind_text(_stmt, index + 1, utf8));

    public void BindBlob(int index, ReadOnlySpan<byte> bytes) => Check(raw.sqlite3_bind_blob(_stmt, index + 1, bytes));

    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_stmt, index + 1));

    /// <summary>Runs one step: true when a row is available.</summary>
    public bool Step()
    {
        int rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }

        var error = Error(rc);
        raw.sqlite3_reset(_stmt);
        throw error;
    }

    /// <summary>Runs the statement to the end; the number of rows it changed.</summary>
    public int Execute()
    {
        while (Step())
        {
        }

        int changes = raw.sqlite3_changes(_db);
        Reset();
        return changes;
    }

    public void Reset() => raw.sqlite3_reset(_stmt);

    /// <summary>The storage class of result column <paramref name="index"/> as a <see cref="ValueTag"/>.</summary>
    public byte ColumnTag(int index) => raw.sqlite3_column_type(_stmt, index) switch
    {
        raw.SQLITE_INTEGER => ValueTag.Integer,
        raw.SQLITE_FLOAT => ValueTag.Real,
        raw.SQLITE_TEXT => ValueTag.Text,
        raw.SQLITE_BLOB => ValueTag.Blob,
        _ => ValueTag.Null,
    };

    public long ColumnInt64(int index) => raw.sqlite3_column_int64(_stmt, index);

    public double ColumnDouble(int index) => raw.sqlite3_column_double(_stmt, index);

    /// <summary>A result column's value as Microsoft.Data.Sqlite would give it (long, double, string, byte[] or null).</summary>
    public object? ColumnValue(int index) => ColumnTag(index) switch
    {
        ValueTag.Integer => ColumnInt64(index),
        ValueTag.Real => ColumnDouble(index),
        ValueTag.Text => System.Text.Encoding.UTF8.GetString(ColumnUtf8(index)),
        ValueTag.Blob => ColumnBytes(index).ToArray(),
        _ => null,
    };

    /// <summary>The bytes of a text (UTF-8) or blob result column, valid until the next step.</summary>
    public ReadOnlySpan<byte> ColumnBytes(int index) => raw.sqlite3_column_blob(_stmt, index);

    /// <summary>The UTF-8 bytes of a text result column whatever the database's encoding, valid until the next step.</summary>
    public ReadOnlySpan<byte> ColumnUtf8(int index)
    {
        _ = raw.sqlite3_column_text(_stmt, index); // converts a UTF-16 value to UTF-8 in place, so the bytes below are UTF-8
        return raw.sqlite3_column_blob(_stmt, index);
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw Error(rc);
        }
    }

    private SqliteException Error(int rc) => ErrorOf(_db, rc);

    /// <summary>The connection's last error as Microsoft.Data.Sqlite reports errors.</summary>
    public static SqliteException ErrorOf(sqlite3 db, int rc) =>
        new(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));

    public void Dispose() => _stmt.Dispose();
}
