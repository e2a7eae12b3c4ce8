using EdgeSync.Errors;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Schema;

/// <summary>Reads a user table's shape and decides whether and how it can be synced.</summary>
internal static class SchemaReader
{
    internal const int MaxKeyColumns = 4;

    /// <summary>A secondary unique index over plain columns: the columns, each with the collation the index compares it by.</summary>
    internal sealed record UniqueIndex(string Name, IReadOnlyList<(string Column, string Collation)> Columns);

    internal sealed record TableShape(string Name, IReadOnlyList<string> Columns, IReadOnlyList<int> PrimaryKey, CaptureMode Mode, IReadOnlyList<string> Types);

    public static TableShape Read(SqliteConnection connection, string table)
    {
        if (table.StartsWith("_edgesync_", StringComparison.OrdinalIgnoreCase)
            || table.StartsWith("sqlite_", StringComparison.OrdinalIgnoreCase)
            || table.Equals("cluster_sync", StringComparison.OrdinalIgnoreCase))
        {
            throw new SchemaException(ErrorCode.TableNotSupported, table,
                $"table '{table}' is EdgeSync's or SQLite's own bookkeeping and cannot be synced; choose an application table");
        }

        var (type, withoutRowid) = ReadTableKind(connection, table);
        if (type is null)
        {
            throw new SchemaException(ErrorCode.TableNotFound, table,
                $"table '{table}' does not exist in this database; create it first, then enable sync on it");
        }

        if (type != "table")
        {
            throw new SchemaException(ErrorCode.TableNotSupported, table,
                $"'{table}' is a {type}, not an ordinary table; only ordinary tables can be synced");
        }

        var columns = new List<string>();
        var types = new List<string>();
        var keys = new List<(int Order, int Index, string Type)>();
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name, type, pk, hidden FROM pragma_table_xinfo($t)";
            cmd.Parameters.AddWithValue("$t", table);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                if (r.GetInt64(3) != 0)
                {
                    continue; // generated columns are computed on every replica; they are not synced
                }

                string name = r.GetString(0);
                if (r.GetInt64(2) > 0)
                {
                    keys.Add(((int)r.GetInt64(2), columns.Count, r.IsDBNull(1) ? "" : r.GetString(1)));
                }

                columns.Add(name);
                types.Add(r.IsDBNull(1) ? "" : r.GetString(1));
            }
        }

        if (keys.Count == 0)
        {
            throw new SchemaException(ErrorCode.TableNotSupported, table,
                $"table '{table}' has no primary key; sync needs one to identify a row on every replica. "
                + "Recreate it with a PRIMARY KEY (for example a TEXT id or a composite (device, ts) key) and enable sync again");
        }

        if (keys.Count > MaxKeyColumns)
        {
            throw new SchemaException(ErrorCode.TableNotSupported, table,
                $"table '{table}' has a {keys.Count}-column primary key; EdgeSync supports at most {MaxKeyColumns} key columns");
        }

        foreach (var k in keys)
        {
            if (IsFloatingPoint(k.Type))
            {
                throw new SchemaException(ErrorCode.TableNotSupported, table,
                    $"table '{table}' has a floating-point primary key column '{columns[k.Index]}' ({k.Type}); "
                    + "floating-point keys do not compare exactly across replicas. Use an INTEGER or TEXT key");
            }
        }

        keys.Sort((a, b) => a.Order.CompareTo(b.Order));
        var pk = keys.Select(k => k.Index).ToArray();
        bool rowidAlias = !withoutRowid && pk.Length == 1
            && string.Equals(keys[0].Type, "INTEGER", StringComparison.OrdinalIgnoreCase)
            && !HasPrimaryKeyIndex(connection, table);
        return new TableShape(table, columns, pk, rowidAlias ? CaptureMode.RowidScan : CaptureMode.Trigger, types);
    }

    /// <summary>True when <paramref name="table"/> exists in the main schema (as any kind of object).</summary>
    public static bool Exists(SqliteConnection connection, string table) => ReadTableKind(connection, table).Type is not null;

    /// <summary>The declared default of <paramref name="column"/> of <paramref name="table"/> (SQL text), or null.</summary>
    public static string? ColumnDefault(SqliteConnection connection, string table, string column) =>
        Sql.Scalar(connection, "SELECT dflt_value FROM pragma_table_xinfo($t) WHERE name = $c COLLATE NOCASE", ("$t", table), ("$c", column)) as string;

    /// <summary>
    /// The table's definition and its indexes as SQLite keeps them (<c>sqlite_schema.sql</c>), so any DDL on the table
    /// (ALTER, a rebuild, CREATE or DROP INDEX) changes it; null when the table does not exist.
    /// </summary>
    public static string? Signature(SqliteConnection connection, string table)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT group_concat(coalesce(sql, name), char(10)) FROM "
            + "(SELECT sql, name FROM sqlite_schema WHERE tbl_name = $t COLLATE NOCASE AND type IN ('table', 'index') ORDER BY type DESC, name)";
        cmd.Parameters.AddWithValue("$t", table);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Names of triggers whose name starts with <paramref name="prefix"/>, with the table each is on.</summary>
    public static List<(string Name, string Table)> Triggers(SqliteConnection connection, string prefix)
    {
        var list = new List<(string, string)>();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger' AND substr(name, 1, length($p)) = $p";
        cmd.Parameters.AddWithValue("$p", prefix);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add((r.GetString(0), r.GetString(1)));
        }

        return list;
    }

    /// <summary>
    /// The unique indexes of <paramref name="table"/> other than its primary key's (declared <c>UNIQUE</c> constraints
    /// and <c>CREATE UNIQUE INDEX</c>, partial ones included), in name order. An index over an expression is left out:
    /// which rows it matches cannot be written as a comparison of columns.
    /// </summary>
    public static List<UniqueIndex> UniqueIndexes(SqliteConnection connection, string table)
    {
        var names = new List<string>();
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM pragma_index_list($t) WHERE \"unique\" = 1 AND origin <> 'pk' ORDER BY name";
            cmd.Parameters.AddWithValue("$t", table);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                names.Add(r.GetString(0));
            }
        }

        var indexes = new List<UniqueIndex>();
        foreach (var name in names)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT cid, name, coll FROM pragma_index_xinfo($i) WHERE key = 1 ORDER BY seqno";
            cmd.Parameters.AddWithValue("$i", name);
            using var r = cmd.ExecuteReader();
            var columns = new List<(string, string)>();
            bool expression = false;
            while (r.Read())
            {
                expression |= r.GetInt64(0) < 0;
                columns.Add((r.IsDBNull(1) ? "" : r.GetString(1), r.IsDBNull(2) ? "BINARY" : r.GetString(2)));
            }

            if (!expression && columns.Count > 0)
            {
                indexes.Add(new UniqueIndex(name, columns));
            }
        }

        return indexes;
    }

    private static (string? Type, bool WithoutRowid) ReadTableKind(SqliteConnection connection, string table)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT type, wr FROM pragma_table_list WHERE schema = 'main' AND name = $t";
        cmd.Parameters.AddWithValue("$t", table);
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetString(0), r.GetInt64(1) != 0) : (null, false);
    }

    private static bool HasPrimaryKeyIndex(SqliteConnection connection, string table)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM pragma_index_list($t) WHERE origin = 'pk'";
        cmd.Parameters.AddWithValue("$t", table);
        return (long)cmd.ExecuteScalar()! > 0;
    }

    private static bool IsFloatingPoint(string declaredType)
    {
        // SQLite's affinity rules: INT anywhere → INTEGER; CHAR/CLOB/TEXT → TEXT; REAL/FLOA/DOUB → REAL.
        var t = declaredType.ToUpperInvariant();
        if (t.Contains("INT", StringComparison.Ordinal) || t.Contains("CHAR", StringComparison.Ordinal)
            || t.Contains("CLOB", StringComparison.Ordinal) || t.Contains("TEXT", StringComparison.Ordinal))
        {
            return false;
        }

        return t.Contains("REAL", StringComparison.Ordinal) || t.Contains("FLOA", StringComparison.Ordinal)
            || t.Contains("DOUB", StringComparison.Ordinal);
    }
}
