using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EdgeSync.Diagnostics;

/// <summary>
/// The engine's instruments on the meter named "EdgeSync", and the methods that record them, tagged by database (the
/// file name without extension). Pass one instance built from a host's <see cref="IMeterFactory"/> to every
/// <see cref="SyncDatabase"/> the host opens (<see cref="SyncDatabaseOptions.Metrics"/>): the factory hands the agent and
/// the engine the same meter, and each host (each test) sees only its own measurements. A database opened without
/// one creates a private instance (its own "EdgeSync" meter, which any <see cref="MeterListener"/> still sees) and
/// disposes it when closed. Instrument names are Prometheus-style; exporters add the <c>_total</c> suffix to counters.
/// </summary>
public sealed class EdgeSyncMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "EdgeSync";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _changesCaptured;
    private readonly Counter<long> _changesApplied;
    private readonly Counter<long> _changesSkipped;
    private readonly Counter<long> _batchesApplied;
    private readonly Counter<long> _batchesRejected;
    private readonly Counter<long> _changesExtracted;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _lateRowsFound;
    private readonly Counter<long> _storageErrors;
    private readonly Counter<long> _compacted;
    private readonly Gauge<long> _schemaDrift;
    private readonly Counter<long> _schemaChanges;

    /// <summary>The instruments on the "EdgeSync" meter of <paramref name="meterFactory"/> (which owns and disposes it).</summary>
    public EdgeSyncMetrics(IMeterFactory meterFactory)
        : this(CreateMeter(meterFactory), ownsMeter: false)
    {
    }

    /// <summary>The instruments on a private "EdgeSync" meter, disposed with this instance.</summary>
    public EdgeSyncMetrics()
        : this(new Meter(MeterName, "1.0"), ownsMeter: true)
    {
    }

    private EdgeSyncMetrics(Meter meter, bool ownsMeter)
    {
        _meter = meter;
        _ownsMeter = ownsMeter;
        _changesCaptured = meter.CreateCounter<long>("edgesync_changes_captured", "{change}", "Local changes sealed with a clock");
        _changesApplied = meter.CreateCounter<long>("edgesync_changes_applied", "{change}", "Remote row states that changed this replica");
        _changesSkipped = meter.CreateCounter<long>("edgesync_changes_skipped", "{change}", "Remote row states already known here");
        _batchesApplied = meter.CreateCounter<long>("edgesync_batches_applied", "{batch}", "Batches applied");
        _batchesRejected = meter.CreateCounter<long>("edgesync_batches_rejected", "{batch}", "Batches refused or rolled back, by error code");
        _changesExtracted = meter.CreateCounter<long>("edgesync_changes_extracted", "{change}", "Row states extracted for peers");
        _conflicts = meter.CreateCounter<long>("edgesync_conflicts", "{conflict}", "Writes that lost a merge, by rule");
        _lateRowsFound = meter.CreateCounter<long>("edgesync_append_late_rows", "{row}", "Append rows inserted below the capture frontier, found by the audit");
        _storageErrors = meter.CreateCounter<long>("edgesync_storage_errors", "{error}",
            "Writes refused by the disk or file: disk_full, read_only, corrupt, locked, io");
        _compacted = meter.CreateCounter<long>("edgesync_compacted_entries", "{entry}", "Log entries and tombstones removed by compaction");
        _schemaDrift = meter.CreateGauge<long>("edgesync_schema_drift", "{table}",
            "1 while a schema change of a synced table is not carried, by table and reason (dropped, renamed, key-changed: sync of the table stopped; type-conflict: a column's values from peers kept aside); 0 once resolved");
        _schemaChanges = meter.CreateCounter<long>("edgesync_schema_changes", "{change}", "Schema changes of synced tables taken by sync (columns added, dropped, renamed or retyped; rebuilds)");
    }

    /// <summary>The "EdgeSync" meter of <paramref name="meterFactory"/>: the same instance for the agent's and the engine's instruments.</summary>
    public static Meter CreateMeter(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        return meterFactory.Create(new MeterOptions(MeterName) { Version = "1.0" });
    }

    internal void Captured(string database, long changes) => _changesCaptured.Add(changes, Tags(database));

    internal void LateRowsFound(string database, long rows) => _lateRowsFound.Add(rows, Tags(database));

    internal void Extracted(string database, long changes) => _changesExtracted.Add(changes, Tags(database));

    internal void Applied(string database, int applied, int skipped, int conflicts)
    {
        var tags = Tags(database);
        _batchesApplied.Add(1, tags);
        _changesApplied.Add(applied, tags);
        _changesSkipped.Add(skipped, tags);
        if (conflicts > 0)
        {
            _conflicts.Add(conflicts, tags);
        }
    }

    internal void Rejected(string database, string code)
    {
        var tags = Tags(database);
        tags.Add("code", code);
        _batchesRejected.Add(1, tags);
    }

    internal void StorageError(string database, string cause)
    {
        var tags = Tags(database);
        tags.Add("cause", cause);
        _storageErrors.Add(1, tags);
    }

    internal void Compacted(string database, long entries) => _compacted.Add(entries, Tags(database));

    internal void SchemaDrift(string database, string table, string reason, bool drifting)
    {
        var tags = Tags(database);
        tags.Add("table", table);
        tags.Add("reason", reason);
        _schemaDrift.Record(drifting ? 1 : 0, tags);
    }

    internal void SchemaChanged(string database, string table)
    {
        var tags = Tags(database);
        tags.Add("table", table);
        _schemaChanges.Add(1, tags);
    }

    private static TagList Tags(string database) => new() { { "database", database } };

    /// <summary>Disposes the meter when this instance created it (the parameterless constructor); else nothing.</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
