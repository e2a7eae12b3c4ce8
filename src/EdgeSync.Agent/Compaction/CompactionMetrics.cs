using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeSync.Compaction;
using EdgeSync.Diagnostics;

namespace EdgeSync.Agent.Compaction;

/// <summary>
/// Instruments of scheduled compaction on the host's "EdgeSync" meter (the same meter instance as
/// <see cref="Diagnostics.AgentMetrics"/>): how much metadata each database holds after a pass, and how passes ended.
/// </summary>
internal sealed class CompactionMetrics
{
    private readonly ConcurrentDictionary<string, MetadataSize> _size = new(StringComparer.Ordinal);
    private readonly Counter<long> _passes;

    public CompactionMetrics(IMeterFactory meterFactory)
    {
        var meter = EdgeSyncMetrics.CreateMeter(meterFactory);
        _passes = meter.CreateCounter<long>("edgesync_compaction_passes", "{pass}",
            "Scheduled compaction passes per database, by result (compacted, nothing, waiting: a static peer not heard yet, failed)");
        meter.CreateObservableGauge("edgesync_metadata_log_entries", () => Observe(s => s.LogEntries), "{entry}",
            "Single-row change-log entries the database holds, as of the last compaction pass");
        meter.CreateObservableGauge("edgesync_metadata_tombstones", () => Observe(s => s.Tombstones), "{row}",
            "Tombstones (deleted rows' metadata) the database holds, as of the last compaction pass");
        meter.CreateObservableGauge("edgesync_metadata_bytes", () => Observe(s => s.Bytes), "By",
            "Payload bytes of the change log and row metadata (keys, clocks), as of the last compaction pass");
    }

    public void Pass(string database, string result) =>
        _passes.Add(1, new("database", database), new("result", result));

    public void Size(string database, MetadataSize size) => _size[database] = size;

    /// <summary>A database the agent let go of stops being reported.</summary>
    public void Forget(string database) => _size.TryRemove(database, out _);

    private IEnumerable<Measurement<long>> Observe(Func<MetadataSize, long> field) =>
        _size.Select(e => new Measurement<long>(field(e.Value), new KeyValuePair<string, object?>("database", e.Key)));
}
