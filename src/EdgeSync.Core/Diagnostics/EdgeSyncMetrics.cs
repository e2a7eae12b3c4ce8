using System.Diagnostics.Metrics;

namespace EdgeSync.Diagnostics;

/// <summary>
/// The one <see cref="Meter"/> of EdgeSync, named "EdgeSync". Instrument names are Prometheus-style; exporters add
/// the <c>_total</c> suffix to counters.
/// </summary>
public static class EdgeSyncMetrics
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "EdgeSync";

    internal static readonly Meter Meter = new(MeterName, "1.0");

    internal static readonly Counter<long> ChangesCaptured =
        Meter.CreateCounter<long>("edgesync_changes_captured", "{change}", "Local changes sealed with a clock");

    internal static readonly Counter<long> ChangesApplied =
        Meter.CreateCounter<long>("edgesync_changes_applied", "{change}", "Remote row states that changed this replica");

    internal static readonly Counter<long> ChangesSkipped =
        Meter.CreateCounter<long>("edgesync_changes_skipped", "{change}", "Remote row states already known here");

    internal static readonly Counter<long> BatchesApplied =
        Meter.CreateCounter<long>("edgesync_batches_applied", "{batch}", "Batches applied");

    internal static readonly Counter<long> BatchesRejected =
        Meter.CreateCounter<long>("edgesync_batches_rejected", "{batch}", "Batches refused or rolled back, by error code");

    internal static readonly Counter<long> ChangesExtracted =
        Meter.CreateCounter<long>("edgesync_changes_extracted", "{change}", "Row states extracted for peers");

    internal static readonly Counter<long> Conflicts =
        Meter.CreateCounter<long>("edgesync_conflicts", "{conflict}", "Writes that lost a merge, by rule");

    internal static readonly Counter<long> LateRowsFound =
        Meter.CreateCounter<long>("edgesync_append_late_rows", "{row}", "Append rows inserted below the capture frontier, found by the audit");

    internal static readonly Counter<long> StorageErrors =
        Meter.CreateCounter<long>("edgesync_storage_errors", "{error}", "Writes refused by the disk or file: disk_full, read_only, corrupt, locked, io");

    internal static readonly Counter<long> Compacted =
        Meter.CreateCounter<long>("edgesync_compacted_entries", "{entry}", "Log entries and tombstones removed by compaction");
}
