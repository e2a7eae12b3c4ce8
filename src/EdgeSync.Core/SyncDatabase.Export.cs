using EdgeSync.Storage;

namespace EdgeSync;

/// <summary>The export cursor: how far an exporter (the agent's NATS export on a hub) got, kept in the database.</summary>
public sealed partial class SyncDatabase
{
    /// <summary>Every recorded export position (per table and origin site id); empty when nothing was exported here.</summary>
    public IReadOnlyList<ExportPosition> ReadExportCursor()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return ExportCursor.Load(_store.Db);
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
            _store.Begin(cancellationToken);
            try
            {
                ExportCursor.Raise(_store.Db, positions);
                _store.Commit();
            }
            catch
            {
                _store.Rollback();
                throw;
            }
        }
    }
}
