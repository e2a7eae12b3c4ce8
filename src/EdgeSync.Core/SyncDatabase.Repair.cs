using EdgeSync.Verify;

namespace EdgeSync;

public sealed partial class SyncDatabase
{
    /// <summary>
    /// The repairable part of anti-entropy: compares content with <paramref name="other"/> and, for every row that
    /// differs in a table whose schema agrees on both sides, issues the row again on each side that holds any state of
    /// it (its clocks one tick past their own; a row no clock speaks of is captured as new). The caller then syncs the
    /// two both ways, and they converge on the merge of the two states: per row the higher causal length, per column
    /// the greater clock, so the side whose write of a cell is newer wins; where both hold the same clock (a value
    /// changed behind EdgeSync's back has none of its own) the higher site id wins. Tables whose schema differs are
    /// left alone and named in the result. At most the rows of 16 differing buckets per table are re-offered per call;
    /// repeat until the comparison is identical.
    /// </summary>
    public RepairResult ReofferDifferences(SyncDatabase other, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(other);
        var mine = Digest(ReplicaDigest.DefaultBucketCount, tableFilter: null, cancellationToken);
        var theirs = other.Digest(ReplicaDigest.DefaultBucketCount, tableFilter: null, cancellationToken);
        var notRepairable = new List<string>();
        var wanted = new List<BucketRequest>();
        foreach (var request in DigestComparer.DifferingBuckets(mine, theirs))
        {
            var a = mine.Tables.FirstOrDefault(t => t.Name == request.Table);
            var b = theirs.Tables.FirstOrDefault(t => t.Name == request.Table);
            if (a is not { Exists: true } || b is not { Exists: true } || !a.Columns.SequenceEqual(b.Columns))
            {
                notRepairable.Add($"table {request.Table}: its schema differs between the replicas (make the schemas equal, then repair)");
                continue;
            }

            wanted.Add(request);
        }

        var keys = RepairKeys.Differing(DigestRows(wanted, mine.BucketCount, cancellationToken),
            other.DigestRows(wanted, mine.BucketCount, cancellationToken),
            table => mine.Tables.First(t => t.Name == table).KeyColumns.Count);
        int here = 0, there = 0;
        foreach (var (table, rows) in keys)
        {
            here += Reoffer(table, rows, cancellationToken);
            there += other.Reoffer(table, rows, cancellationToken);
        }

        return new RepairResult(here, there, notRepairable);
    }

    private int Reoffer(string table, IReadOnlyList<object?[]> keys, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            var t = _store.FindTable(table);
            if (t is null)
            {
                return 0;
            }

            return _store.InTransaction(store =>
            {
                EdgeSync.Capture.Sealer.Seal(store);
                return Storage.TableReoffer.Run(store, t, keys);
            }, cancellationToken);
        }
    }
}
