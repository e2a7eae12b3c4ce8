using EdgeSync.Clocks;
using EdgeSync.Compaction;
using EdgeSync.Errors;
using EdgeSync.Schema;
using EdgeSync.Storage;

namespace EdgeSync;

/// <summary>Retention: deleting old rows of <c>append</c> tables once the level the caller requires holds them.</summary>
public sealed partial class SyncDatabase
{
    /// <summary>
    /// Deletes one bounded batch (at most <paramref name="maxRows"/> rows, in one short write transaction) of the rows
    /// of the <c>append</c> table <paramref name="table"/> that <paramref name="policy"/> lets go and that
    /// <paramref name="held"/> covers — pass <see cref="HeldAt"/> of the level that must hold a row first (a hub), so
    /// nothing is deleted that it lacks. Call again while <see cref="PruneResult.More"/>; between calls other writers
    /// get the lock. Pruned rows are neither sent to peers again nor re-inserted when a peer sends them (see
    /// <see cref="PrunedThrough"/>); a replica that joins later receives only the rows still kept.
    /// </summary>
    public PruneResult Prune(string table, RetentionPolicy policy, VersionVector held, int maxRows = 1_000, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(held);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        lock (_gate)
        {
            ThrowIfDisposed();
            var t = _store.FindTable(table) ?? throw new SchemaException(ErrorCode.TableNotSupported, table, $"table '{table}' is not synced; retention applies to synced append tables");
            if (t.Info is not { Policy: TablePolicy.Append, Mode: CaptureMode.RowidScan })
            {
                throw new SchemaException(ErrorCode.TableNotSupported, table,
                    $"retention needs an append table keyed by its rowid; '{t.Info.Name}' is {t.Info.Policy.ToName()} ({t.Info.Mode.ToName()})");
            }

            return Pruner.PruneBatch(_store, t.Info.Id, policy, held, maxRows, _options.Time.GetUtcNow(), cancellationToken);
        }
    }

    /// <summary>
    /// Per origin site id, the highest sequence pruned from <paramref name="table"/> here: rows of the table whose
    /// clocks are all at or below it are never inserted again.
    /// </summary>
    public IReadOnlyDictionary<string, long> PrunedThrough(string table)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        lock (_gate)
        {
            ThrowIfDisposed();
            return _store.FindTable(table) is { } t ? RetentionRecords.Watermarks(_store, t.Info.Id) : new Dictionary<string, long>();
        }
    }
}
