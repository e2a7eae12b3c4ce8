using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeSync.Diagnostics;

namespace EdgeSync.Agent.Lifecycle;

/// <summary>
/// Instruments of acknowledgement levels, retention and the free-space guard, on the host's "EdgeSync" meter (the same
/// meter instance as <see cref="Diagnostics.AgentMetrics"/>: the factory returns one meter per name and version).
/// </summary>
internal sealed class LifecycleMetrics
{
    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly ConcurrentDictionary<(string Database, string Level), double> _ackLag = new();
    private readonly ConcurrentDictionary<(string Database, string Table), long> _prunedTotal = new();
    private readonly ConcurrentDictionary<string, (double Free, double Min)> _free = new(StringComparer.Ordinal);
    private readonly Histogram<double> _ackWait;
    private readonly Counter<long> _pruned;

    public LifecycleMetrics(IMeterFactory meterFactory)
    {
        var meter = EdgeSyncMetrics.CreateMeter(meterFactory);
        _ackWait = meter.CreateHistogram("edgesync_ack_wait_seconds", "s",
            "Time an ingest request waited for its acknowledgement level after commit, by level and result (reached, timeout)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _pruned = meter.CreateCounter<long>("edgesync_retention_pruned_rows", "{row}", "Rows deleted by retention, by database and table");
        meter.CreateObservableGauge("edgesync_ack_lag_changes",
            () => _ackLag.Select(e => new Measurement<double>(e.Value, new("database", e.Key.Database), new("level", e.Key.Level))), "{change}",
            "This site's changes not yet held at the level (replicas:1, hub, exported), from peers' known vectors and the export position the hub announced");
        meter.CreateObservableGauge("edgesync_volume_free_bytes",
            () => _free.Select(e => new Measurement<double>(e.Value.Free, new KeyValuePair<string, object?>("database", e.Key))), "By",
            "Free bytes on the volume holding the database, as last probed");
        meter.CreateObservableGauge("edgesync_volume_min_free_bytes",
            () => _free.Select(e => new Measurement<double>(e.Value.Min, new KeyValuePair<string, object?>("database", e.Key))), "By",
            "The free-space watermark (EdgeSync:MinFreeBytes): below it ingest is refused with 507; 0 = guard off");
    }

    public void AckWaited(string database, string level, bool reached, double seconds) =>
        _ackWait.Record(seconds, new("database", database), new("level", level), new("result", reached ? "reached" : "timeout"));

    public void AckLag(string database, string level, long changes) => _ackLag[(database, level)] = changes;

    public void Pruned(string database, string table, int rows)
    {
        _pruned.Add(rows, new("database", database), new("table", table));
        _prunedTotal.AddOrUpdate((database, table), rows, (_, total) => total + rows);
    }

    /// <summary>The changes of this site not yet held at each level, as last computed (levels in a fixed order; empty before the first pass).</summary>
    public IReadOnlyList<(string Level, long Changes)> AckLagOf(string database, IEnumerable<string> levels) =>
        levels.Select(l => (Level: l, Found: _ackLag.TryGetValue((database, l), out double changes), Changes: (long)changes))
            .Where(x => x.Found).Select(x => (x.Level, x.Changes)).ToList();

    /// <summary>Rows retention deleted from the table since the agent started.</summary>
    public long PrunedOf(string database, string table) => _prunedTotal.GetValueOrDefault((database, table));

    /// <summary>Drops a database's lag series (let go of: a --db-dir file removed).</summary>
    public void Forget(string database)
    {
        foreach (var key in _ackLag.Keys.Where(k => k.Database == database).ToList())
        {
            _ackLag.TryRemove(key, out _);
        }

        _free.TryRemove(database, out _);
    }

    public void FreeBytes(string database, long? free, long min)
    {
        if (free is { } f)
        {
            _free[database] = (f, min);
        }
    }
}
