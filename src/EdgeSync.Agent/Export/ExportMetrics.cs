using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeSync.Diagnostics;

namespace EdgeSync.Agent.Export;

/// <summary>Instruments of the NATS export, on the host's "EdgeSync" meter.</summary>
internal sealed class ExportMetrics
{
    private readonly ConcurrentDictionary<string, (long Rows, DateTimeOffset CaughtUpAt)> _lag = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, int> _holder = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _published = new(StringComparer.Ordinal);
    private readonly Counter<long> _rows;
    private readonly Counter<long> _messages;
    private readonly Counter<long> _errors;

    public ExportMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        var meter = EdgeSyncMetrics.CreateMeter(meterFactory);
        _rows = meter.CreateCounter<long>("edgesync_export_rows", "{row}", "Rows published to the export stream and acknowledged by JetStream, by database");
        _messages = meter.CreateCounter<long>("edgesync_export_messages", "{message}", "Messages published to the export stream and acknowledged, by database");
        _errors = meter.CreateCounter<long>("edgesync_export_errors", "{error}", "Export passes that failed and were retried after reading back the stream, by database and reason");
        meter.CreateObservableGauge("edgesync_export_lag_changes",
            () => _lag.Select(e => new Measurement<double>(e.Value.Rows, new KeyValuePair<string, object?>("database", e.Key))), "{change}",
            "Changes this hub holds that are not exported yet (sum over origins of its vector less the exported position); set by the lease holder");
        meter.CreateObservableGauge("edgesync_export_lag_seconds",
            () => _lag.Select(e => new Measurement<double>(Seconds(e.Value), new KeyValuePair<string, object?>("database", e.Key))), "s",
            "Seconds since the export last caught up with this hub's changes (0 while caught up; it keeps growing while publishing fails); set by the lease holder");
        meter.CreateObservableGauge("edgesync_export_lease_holder",
            () => _holder.Select(e => new Measurement<int>(e.Value, new KeyValuePair<string, object?>("database", e.Key))), "{lease}",
            "1 while this agent holds the export lease of the database (it is the one exporting), else 0");
    }

    public void Published(string database, int rows)
    {
        _rows.Add(rows, new KeyValuePair<string, object?>("database", database));
        _messages.Add(1, new KeyValuePair<string, object?>("database", database));
        _published.AddOrUpdate(database, rows, (_, total) => total + rows);
    }

    public void Failed(string database, string reason) =>
        _errors.Add(1, new("database", database), new("reason", reason));

    /// <summary>The export of <paramref name="database"/> is <paramref name="rows"/> changes behind; it last had none at <paramref name="caughtUpAt"/>.</summary>
    public void Lag(string database, long rows, DateTimeOffset caughtUpAt) => _lag[database] = (rows, caughtUpAt);

    /// <summary>This agent no longer exports the database (lease lost or given up): the holder reports its lag.</summary>
    public void NoLag(string database) => _lag.TryRemove(database, out _);

    private double Seconds((long Rows, DateTimeOffset CaughtUpAt) lag) => lag.Rows == 0 ? 0 : (_time.GetUtcNow() - lag.CaughtUpAt).TotalSeconds;

    public void Holder(string database, bool holds) => _holder[database] = holds ? 1 : 0;

    /// <summary>
    /// What this agent knows of the export of <paramref name="database"/>, for the console: whether it holds the lease,
    /// its lag while it does, and the rows it published since it started; null when it never took part.
    /// </summary>
    public (bool Holder, long LagChanges, long LagSeconds, long Published)? Of(string database)
    {
        if (!_holder.TryGetValue(database, out int holder))
        {
            return null;
        }

        var lag = _lag.TryGetValue(database, out var l) ? l : (Rows: 0L, CaughtUpAt: _time.GetUtcNow());
        return (holder == 1, lag.Rows, (long)Seconds(lag), _published.GetValueOrDefault(database));
    }
}
