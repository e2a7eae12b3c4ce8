using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Fuzz;

/// <summary>
/// A hash of everything in a SQLite file — user tables and every EdgeSync metadata table — read on its own read-only
/// connection. Equal before and after a refused apply or ingest means nothing of it was written.
/// </summary>
public static class StateFingerprint
{
    /// <summary>The fingerprint of the database at <paramref name="path"/>.</summary>
    public static string Of(string path)
    {
        using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=false");
        c.Open();
        var tables = new List<string>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                tables.Add(r.GetString(0));
            }
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in tables)
        {
            var rows = new List<string>();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT * FROM \"{t.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            using var r = cmd.ExecuteReader();
            var sb = new StringBuilder();
            while (r.Read())
            {
                sb.Clear();
                for (int i = 0; i < r.FieldCount; i++)
                {
                    object v = r.GetValue(i);
                    sb.Append(v switch
                    {
                        DBNull => "null",
                        byte[] b => "x" + Convert.ToHexString(b),
                        double d => "r" + d.ToString("R", CultureInfo.InvariantCulture),
                        long l => "i" + l.ToString(CultureInfo.InvariantCulture),
                        _ => "t" + Convert.ToString(v, CultureInfo.InvariantCulture),
                    }).Append('\u0001');
                }

                rows.Add(sb.ToString());
            }

            rows.Sort(StringComparer.Ordinal);
            hash.AppendData(Encoding.UTF8.GetBytes(t + "\u0002" + string.Join("\u0003", rows) + "\u0004"));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
