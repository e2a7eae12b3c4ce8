using EdgeSync.Clocks;
using EdgeSync.Storage;

namespace EdgeSync;

/// <summary>The export cursor: how far an exporter (the agent's NATS export on a hub) got, kept in the database.</summary>
public sealed partial class SyncDatabase
{
    private VersionVector _exported = VersionVector.Empty;

    /// <summary>
    /// Per origin, the highest sequence known to be exported (every change of that origin up to it is in the export
    /// stream, or belongs to a table that is not exported): what <see cref="RecordExportedVector"/> was told, in memory
    /// only — after a restart it is learned again from the hub (or, on the hub, from its export).
    /// </summary>
    public VersionVector ExportedVector => Volatile.Read(ref _exported);

    /// <summary>
    /// Records that the hub's export holds <paramref name="vector"/> (entries only ever rise) and wakes
    /// <see cref="WaitForAckAsync"/> callers waiting for <see cref="AckLevel.Exported"/>. Returns true when it moved.
    /// </summary>
    public bool RecordExportedVector(VersionVector vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        lock (_gate)
        {
            var merged = _exported.Merge(vector);
            if (merged.Dominates(_exported) && _exported.Dominates(merged))
            {
                return false;
            }

            Volatile.Write(ref _exported, merged);
        }

        PeersMoved();
        return true;
    }

    /// <summary>Every recorded export position (per table and origin site id); empty when nothing was exported here.</summary>
    public IReadOnlyList<ExportPosition> ReadExportCursor()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return ExportCursor.Load(_store).Select(p => new ExportPosition(p.Table, p.Site, p.Seq)).ToList();
        }
    }

    /// <summary>
    /// Records that the changes in <paramref name="positions"/> are exported, in one short write transaction (waiting
    /// for another writer's lock as <see cref="Apply"/> does). A position is only ever raised.
    /// </summary>
    public void RecordExported(IReadOnlyCollection<ExportPosition> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (positions.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            _store.InTransaction(store =>
            {
                ExportCursor.Raise(store, positions.Select(p => (p.Table, p.Site, p.Sequence)));
            }, cancellationToken);
        }
    }
}
