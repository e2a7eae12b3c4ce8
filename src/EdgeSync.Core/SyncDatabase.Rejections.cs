using EdgeSync.Internal;
using EdgeSync.Merge;
using EdgeSync.Storage;

namespace EdgeSync;

/// <summary>Row lookups for checks that run before a batch is applied, and the record of batches a peer refused.</summary>
public sealed partial class SyncDatabase
{
    /// <summary>
    /// This replica's current sync state of one row of a synced table (values and clocks in the order of
    /// <see cref="Schema.TableInfo.Columns"/>, or a tombstone), or null when the row was never seen here.
    /// Meant for checks passed to <see cref="Apply(Protocol.ChangeBatch, string?, Action{Protocol.ChangeBatch}?)"/>.
    /// </summary>
    public RowState? ReadRowState(string table, object?[] key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            ThrowIfDisposed();
            var t = _store.FindTable(table);
            if (t is null || key.Length != t.Info.PrimaryKey.Count || key.Any(k => k is null))
            {
                return null;
            }

            return t.LoadState(key, t.StoredKey(key));
        }
    }

    /// <summary>
    /// Records that <paramref name="peer"/> refused this replica's changes under <paramref name="rule"/> (replacing an
    /// earlier record for that peer), so that <c>edgesync status</c> can show it from the file.
    /// </summary>
    public void RecordRejection(string peer, string rule, string detail)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        ArgumentException.ThrowIfNullOrWhiteSpace(rule);
        lock (_gate)
        {
            ThrowIfDisposed();
            Sql.Scalar(_store.Db,
                "INSERT INTO _edgesync_rejections(peer, rule, detail, at_ms) VALUES ($p, $r, $d, $at) "
                + "ON CONFLICT(peer) DO UPDATE SET rule = excluded.rule, detail = excluded.detail, at_ms = excluded.at_ms",
                ("$p", peer), ("$r", rule), ("$d", detail ?? ""), ("$at", _options.Time.GetUtcNow().ToUnixTimeMilliseconds()));
        }
    }

    /// <summary>Forgets the refusal recorded for <paramref name="peer"/> (after it accepted this replica's changes). Cheap when there is none.</summary>
    public void ClearRejection(string peer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(peer);
        lock (_gate)
        {
            ThrowIfDisposed();
            Sql.Scalar(_store.Db, "DELETE FROM _edgesync_rejections WHERE peer = $p", ("$p", peer));
        }
    }

    /// <summary>The refusals recorded per peer (see <see cref="RecordRejection"/>), by peer.</summary>
    public IReadOnlyList<SyncRejection> GetRejections()
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT peer, rule, detail, at_ms FROM _edgesync_rejections ORDER BY peer";
        using var r = cmd.ExecuteReader();
        var list = new List<SyncRejection>();
        while (r.Read())
        {
            list.Add(new SyncRejection(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)));
        }

        return list;
    }
}
