using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>
/// What this replica disclaimed after its clock was set right (<c>_edgesync_disclaimed</c>: per origin, the first event
/// disclaimed and how far it held that origin before): its vector fell below events it still reflects in its row
/// states, re-stamped or withheld (design §6b, rules 3–5). Announced with its batches and requests until its vector
/// for the origin is back at what it held, so a peer that compacted those events neither refuses its batches as stale
/// nor its pulls as needing a re-seed (design §6, "Disclaimed events a peer compacted").
/// </summary>
internal static class DisclaimRecords
{
    /// <summary>Records that events of <paramref name="site"/> from <paramref name="first"/> on are disclaimed, up to
    /// <paramref name="held"/> held before; a second disclaim of the same origin widens the record.</summary>
    public static void Record(SyncStore store, int site, long first, long held) =>
        Sql.Scalar(store.Db,
            "INSERT INTO _edgesync_disclaimed(site, first, held) VALUES ($s, $f, $h) "
            + "ON CONFLICT(site) DO UPDATE SET first = min(first, excluded.first), held = max(held, excluded.held)",
            ("$s", (long)site), ("$f", first), ("$h", held));

    /// <summary>
    /// The disclaims still to announce, as ranges (origin, <c>first - 1</c>, <c>held</c>]: those whose origin this
    /// replica's vector is still below what it held. Read in the caller's snapshot.
    /// </summary>
    public static List<(string Site, long From, long To)> Announced(SqliteConnection db)
    {
        var list = new List<(string Site, long From, long To)>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT s.site, d.first, d.held FROM _edgesync_disclaimed d JOIN _edgesync_sites s ON s.idx = d.site "
            + "LEFT JOIN _edgesync_vector v ON v.site = d.site WHERE coalesce(v.seq, 0) < d.held ORDER BY s.site";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add((r.GetString(0), r.GetInt64(1) - 1, r.GetInt64(2)));
        }

        return list;
    }
}
