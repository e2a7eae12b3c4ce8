using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Agent.Ingest;

/// <summary>
/// Writes validated rows in one transaction on an ordinary connection, as any application would; the capture
/// triggers record them. <c>lww</c> tables upsert (the columns given overwrite, the others keep their values);
/// <c>append</c> tables insert, so a key that already exists fails the whole request.
/// </summary>
internal static class RowWriter
{
    public static void Write(SqliteConnection connection, TableShape table, IReadOnlyList<Dictionary<string, object?>> rows)
    {
        var commands = new Dictionary<string, SqliteCommand>(StringComparer.Ordinal);
        using var tx = connection.BeginTransaction(deferred: false);
        try
        {
            foreach (var row in rows)
            {
                var columns = row.Keys.ToList();
                string shapeKey = string.Join('\u0001', columns);
                if (!commands.TryGetValue(shapeKey, out var cmd))
                {
                    cmd = connection.CreateCommand();
                    cmd.Transaction = tx;
                    cmd.CommandText = InsertSql(table, columns);
                    for (int i = 0; i < columns.Count; i++)
                    {
                        cmd.Parameters.Add(new SqliteParameter($"$p{i}", null));
                    }

                    commands.Add(shapeKey, cmd);
                }

                for (int i = 0; i < columns.Count; i++)
                {
                    cmd.Parameters[i].Value = row[columns[i]] ?? DBNull.Value;
                }

                cmd.ExecuteNonQuery();
            }

            tx.Commit();
        }
        finally
        {
            foreach (var cmd in commands.Values)
            {
                cmd.Dispose();
            }
        }
    }

    private static string InsertSql(TableShape table, IReadOnlyList<string> columns)
    {
        var info = table.Info;
        string sql = $"INSERT INTO {Quote(info.Name)} ({string.Join(", ", columns.Select(Quote))}) "
            + $"VALUES ({string.Join(", ", columns.Select((_, i) => $"$p{i}"))})";
        if (info.Policy == TablePolicy.Append)
        {
            return sql;
        }

        var keys = info.PrimaryKey.Select(i => info.Columns[i]).ToList();
        var updates = columns.Where(c => !keys.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        return sql + $" ON CONFLICT ({string.Join(", ", keys.Select(Quote))}) "
            + (updates.Count == 0 ? "DO NOTHING" : "DO UPDATE SET " + string.Join(", ", updates.Select(c => $"{Quote(c)} = excluded.{Quote(c)}")));
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
