using EdgeSync.Clocks;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>What this replica knows each peer has (<c>_edgesync_peers</c>); compaction never passes the slowest peer.</summary>
internal static class PeerVectors
{
    public static void Raise(SqliteConnection db, string peer, VersionVector vector)
    {
        using var cmd = Sql.Prepare(db,
            "INSERT INTO _edgesync_peers(peer, site, seq) VALUES ($p, $s, $q) ON CONFLICT(peer, site) DO UPDATE SET seq = max(seq, excluded.seq)",
            "$p", "$s", "$q");
        cmd.Set(0, peer);
        foreach (var (site, seq) in vector)
        {
            cmd.Set(1, site);
            cmd.Set(2, seq);
            cmd.ExecuteNonQuery();
        }
    }

    public static Dictionary<string, VersionVector> Load(SqliteConnection db)
    {
        var raw = new Dictionary<string, List<KeyValuePair<string, long>>>(StringComparer.Ordinal);
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT peer, site, seq FROM _edgesync_peers";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var peer = r.GetString(0);
            if (!raw.TryGetValue(peer, out var list))
            {
                raw[peer] = list = [];
            }

            list.Add(new(r.GetString(1), r.GetInt64(2)));
        }

        return raw.ToDictionary(e => e.Key, e => VersionVector.From(e.Value), StringComparer.Ordinal);
    }
}
