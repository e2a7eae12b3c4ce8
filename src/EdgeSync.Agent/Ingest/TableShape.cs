using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Agent.Ingest;

/// <summary>The synced columns of a table with their declared types and constraints, read with <c>PRAGMA table_info</c>.</summary>
internal sealed record TableShape(TableInfo Info, IReadOnlyDictionary<string, ColumnShape> Columns)
{
    public static TableShape Read(SqliteConnection connection, TableInfo info)
    {
        var keys = info.PrimaryKey.Select(i => info.Columns[i]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var synced = info.Columns.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var columns = new Dictionary<string, ColumnShape>(StringComparer.OrdinalIgnoreCase);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info($t)";
        cmd.Parameters.AddWithValue("$t", info.Name);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            string name = r.GetString(0);
            if (synced.Contains(name))
            {
                columns[name] = new ColumnShape(name, ColumnShape.AffinityOf(r.IsDBNull(1) ? "" : r.GetString(1)),
                    r.GetInt64(2) != 0, !r.IsDBNull(3), keys.Contains(name));
            }
        }

        return new TableShape(info, columns);
    }
}
