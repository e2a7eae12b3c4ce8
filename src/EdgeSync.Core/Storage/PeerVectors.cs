using EdgeSync.Clocks;
using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>What this replica knows each peer has (<c>_edgesync_peers</c>); compaction never passes the slowest peer.</summary>
internal static class PeerVectors
{
    /// <summary>Records the entries of <paramref name="rising"/> for <paramref name="peer"/>, each only where it is higher.</summary>
    public static void Raise(SyncStore store, string peer, IReadOnlyList<KeyValuePair<string, long>> rising)
    {
        using var cmd = Sql.Prepare(store.Db,
            "INSERT INTO _edgesync_peers(peer, site, seq) VALUES ($p, $s, $q) "
            + "ON CONFLICT(peer, site) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > seq", // lower: nothing written
            "$p", "$s", "$q");
        cmd.Set(0, peer);
        foreach (var (site, seq) in rising)
        {
            cmd.Set(1, site);
            cmd.Set(2, seq);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// The entries of <paramref name="vector"/> higher than recorded for <paramref name="peer"/> (reads only); empty when
    /// it raises nothing. Only these are written: a fleet's vector has an entry for every replica and incarnation, most
    /// of them unchanged since the last record.
    /// </summary>
    public static List<KeyValuePair<string, long>> Rising(SyncStore store, string peer, VersionVector vector)
    {
        var known = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var cmd = store.Db.CreateCommand())
        {
            cmd.CommandText = "SELECT site, seq FROM _edgesync_peers WHERE peer = $p";
            cmd.Parameters.AddWithValue("$p", peer);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                known[r.GetString(0)] = r.GetInt64(1);
            }
        }

        return vector.Where(e => !known.TryGetValue(e.Key, out long seq) || e.Value > seq).ToList();
    }

    /// <summary>Every peer's recorded vector, read on the writer (in the caller's transaction, if any).</summary>
    public static Dictionary<string, VersionVector> Load(SyncStore store) => Load(store.Db);

    /// <summary>Every peer's recorded vector, read on <paramref name="db"/> (a reader's snapshot).</summary>
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
