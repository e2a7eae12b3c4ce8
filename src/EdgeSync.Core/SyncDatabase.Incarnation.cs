using EdgeSync.Capture;
using EdgeSync.Clocks;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Protocol;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync;

/// <summary>Incarnations: when this database continues under a new site id rather than risk reusing a (site, sequence).</summary>
public sealed partial class SyncDatabase
{
    /// <summary>
    /// What this replica disclaimed when its clock was set right (design §6b) and does not hold again yet, per origin:
    /// (<see cref="OriginRange.From"/>, <see cref="OriginRange.To"/>] are events it held, still reflected in its row
    /// states, that its <see cref="Vector"/> no longer claims. Its batches carry it (<see cref="ChangeBatch.Disclaimed"/>);
    /// a caller requesting changes from a peer passes it along with the vector
    /// (<see cref="GetChangesFor"/>), so a
    /// peer that compacted those events sends their originals back instead of refusing it. Empty almost always.
    /// </summary>
    public IReadOnlyList<OriginRange> Disclaimed
    {
        get
        {
            ThrowIfDisposed();
            // Read once per commit (records change only in one, and with the vector): every conversation message carries it.
            var vector = Vector;
            if (Volatile.Read(ref _disclaimed) is { } cached && ReferenceEquals(cached.At, vector))
            {
                return cached.Ranges;
            }

            using var connection = new SqliteConnection(_readConnectionString);
            connection.Open();
            var ranges = DisclaimRecords.Announced(connection).Select(d => new OriginRange(d.Site, d.From, d.To)).ToList();
            Volatile.Write(ref _disclaimed, new DisclaimedAt(vector, ranges));
            return ranges;
        }
    }

    private DisclaimedAt? _disclaimed;

    private sealed record DisclaimedAt(VersionVector At, IReadOnlyList<OriginRange> Ranges);

    /// <summary>
    /// A clock that ran ahead and was set right leaves this site's HLC in the future: peers refuse what it wrote and
    /// everything it would write. It continues as a new incarnation with every write re-stamped at the present
    /// (<see cref="Reincarnation.RewindIfClockRanAhead"/>). Called under <see cref="_gate"/>, outside a transaction.
    /// </summary>
    /// <param name="restoreWithheld">Also give withheld clocks their original back when due (<see cref="RestoreWithheldIfDue"/>):
    /// at open (and after an apply, <see cref="RestoreWithheldAfterApply"/>), never before a capture, which an extraction runs
    /// after its caller read the vector.</param>
    /// <param name="cancellationToken">Cancels the re-stamp (rolled back whole).</param>
    private void ContinueIfClockRanAhead(bool restoreWithheld = false, CancellationToken cancellationToken = default)
    {
        var last = _store.Clock.Last;
        if (!Reincarnation.ClockRanAhead(_store.Clock, _options.MaxClockDrift))
        {
            if (restoreWithheld)
            {
                RestoreWithheldIfDue(cancellationToken);
            }

            return;
        }

        string previous = _store.SiteId;
        int previousIdx = _store.SiteIndex;
        _store.Begin(cancellationToken);
        try
        {
            if (Reincarnation.RewindIfClockRanAhead(_store, _options.MaxClockDrift))
            {
                Sealer.Seal(_store); // what is pending is clocked (at the present) before everything is re-stamped
                Reincarnation.Run(_store, previousIdx, previous, clockRanAhead: true, MayOriginate(previous), cancellationToken);
            }

            _store.Commit();
        }
        catch (SqliteException e) when (StorageException.IsStorageError(e))
        {
            _store.Rollback();
            _store.Clock.Rewind(last);
            throw new StorageException(Path, e); // a full or failing disk: typed, as from the capture or apply that called this
        }
        catch
        {
            _store.Rollback();
            _store.Clock.Rewind(last);
            throw;
        }

        Log.ClockRanAhead(_options.Logger, last.ToString(), _options.MaxClockDrift.TotalMinutes, previous, _store.SiteId);
    }

    /// <summary>
    /// Gives withheld clocks their original back once it is no longer in the future (<see cref="Reincarnation.RestoreWithheld"/>,
    /// docs/design.md §6b, rule 5). Costs nothing until a withheld original is due (<see cref="Reincarnation.WithheldDue"/>),
    /// then one pass over the row metadata. Called under <see cref="_gate"/>, outside a transaction. Not from a capture:
    /// the restore raises the vector for other origins, and an extraction seals (a capture) after its caller read the
    /// vector to raise the origins a peer must not be sent (a hub's <c>Outbound</c> to a factory, the factory's own
    /// cluster): an origin raised in between would travel with its <c>up</c> rows filtered out, and the factory's vector
    /// would pass them for good (the focused test's first run did exactly that).
    /// </summary>
    private void RestoreWithheldIfDue(CancellationToken cancellationToken)
    {
        if (!Reincarnation.WithheldDue(_store, _options.MaxClockDrift))
        {
            return;
        }

        var last = _store.Clock.Last;
        _store.Begin(cancellationToken);
        try
        {
            var (restored, due) = Reincarnation.RestoreWithheld(_store, _options.MaxClockDrift, cancellationToken);
            _store.Commit();
            _store.WithheldDue = due;
            if (restored > 0)
            {
                Log.WithheldRestored(_options.Logger, restored, _store.SiteId);
            }
        }
        catch (SqliteException e) when (StorageException.IsStorageError(e))
        {
            _store.Rollback();
            _store.Clock.Rewind(last);
            throw new StorageException(Path, e);
        }
        catch
        {
            _store.Rollback();
            _store.Clock.Rewind(last);
            throw;
        }
    }

    /// <summary>
    /// After a batch is applied (committed): <see cref="RestoreWithheldIfDue"/>. Not before it, where a batch refused
    /// (an authorization rule, a stale batch) would still move the vector, and not cancellable: the batch is in. A storage
    /// error is counted and left for the next apply; the batch stays applied.
    /// </summary>
    private void RestoreWithheldAfterApply()
    {
        try
        {
            RestoreWithheldIfDue(CancellationToken.None);
        }
        catch (StorageException e)
        {
            _metrics.StorageError(_name, e.Cause);
        }
    }

    /// <summary>
    /// <see cref="SyncDatabaseOptions.MayOriginate"/> for this replica (named by <paramref name="site"/>, the id being
    /// continued), as the re-stamp asks it: by table and origin. Null when the host set no rule.
    /// </summary>
    private Func<string, string, bool>? MayOriginate(string site) =>
        _options.MayOriginate is { } rule ? (table, origin) => rule(site, table, origin) : null;

    /// <summary>Logs that the first seal of this session continued under a new id (the last writer never closed the file).</summary>
    private void LogIfRetired(string before)
    {
        if (!string.Equals(before, _store.SiteId, StringComparison.Ordinal))
        {
            Log.Retired(_options.Logger, before, _store.SiteId);
        }
    }
}
