using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// What the last content comparison with each peer found, kept in <c>_edgesync_meta</c> under <c>divergence:PEER</c>
/// (the check time in Unix milliseconds, then one line per differing table), so <c>edgesync status</c> can show it.
/// </summary>
internal static class DivergenceRecords
{
    private const string Prefix = "divergence:";

    /// <summary>Records the finding for <paramref name="peer"/>; no lines clears it.</summary>
    public static void Set(SyncStore store, string peer, DateTimeOffset checkedAt, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            Sql.Scalar(store.Db, "DELETE FROM _edgesync_meta WHERE key = $k", ("$k", Prefix + peer));
            return;
        }

        Sql.Scalar(store.Db, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ($k, $v)",
            ("$k", Prefix + peer), ("$v", checkedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n" + string.Join("\n", lines)));
    }

    /// <summary>Every recorded finding: peer, check time, lines.</summary>
    public static List<(string Peer, DateTimeOffset CheckedAt, string[] Lines)> Load(SqliteConnection db)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT key, value FROM _edgesync_meta WHERE substr(key, 1, length($p)) = $p ORDER BY key";
        cmd.Parameters.AddWithValue("$p", Prefix);
        var found = new List<(string, DateTimeOffset, string[])>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var parts = r.GetString(1).Split('\n');
            var at = long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.MinValue;
            found.Add((r.GetString(0)[Prefix.Length..], at, parts[1..]));
        }

        return found;
    }
}
