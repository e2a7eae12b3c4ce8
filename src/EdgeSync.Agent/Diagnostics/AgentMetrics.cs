using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeSync.Agent.Sync;
using EdgeSync.Diagnostics;

namespace EdgeSync.Agent.Diagnostics;

/// <summary>
/// The agent's instruments and the methods that record them, on the "EdgeSync" meter of the host's
/// <see cref="IMeterFactory"/>: the same meter as the engine's (<see cref="Engine"/>, passed to every database the
/// agent opens), so one <c>AddMeter("EdgeSync")</c> exports both, and each agent (each test) sees only its own
/// measurements. Per-database and per-peer measurements carry the <see cref="PeerBoard"/> tags (database, site, peer);
/// the per-peer gauges read the boards registered here.
/// </summary>
internal sealed class AgentMetrics : IDisposable
{
    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Meter? _ownMeter;
    private readonly ConcurrentDictionary<PeerBoard, byte> _boards = new();
    private readonly ConcurrentDictionary<PeerBoard, double> _lastBackup = new();
    private readonly ConcurrentDictionary<(string Database, string Site, string Peer, string Table), long> _divergence = new();
    private readonly Counter<long> _changesSent;
    private readonly Counter<long> _changesReceived;
    private readonly Counter<long> _changesWithheld;
    private readonly Counter<long> _batchesSent;
    private readonly Counter<long> _batchesReceived;
    private readonly Counter<long> _bytesSent;
    private readonly Counter<long> _bytesReceived;
    private readonly Counter<long> _batchesUnauthorized;
    private readonly Counter<long> _lineageReclaimed;
    private readonly Counter<long> _pushesRejected;
    private readonly Counter<long> _rounds;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _signalsCoalesced;
    private readonly Counter<long> _ingestRows;
    private readonly Counter<long> _peersRefused;
    private readonly Counter<long> _ingestRejected;
    private readonly Counter<long> _streamsRefused;
    private readonly Counter<long> _backups;
    private readonly Histogram<double> _applyWait;
    private readonly Histogram<double> _captureLag;
    private readonly Histogram<double> _roundDuration;

    /// <summary>The instruments on the "EdgeSync" meter of <paramref name="meterFactory"/>.</summary>
    public AgentMetrics(IMeterFactory meterFactory)
        : this(EdgeSyncMetrics.CreateMeter(meterFactory), new EdgeSyncMetrics(meterFactory), ownsMeter: false)
    {
    }

    /// <summary>
    /// The instruments on a private "EdgeSync" meter, disposed with this instance: for a one-off round without a host
    /// (<see cref="PeerSync"/>) and tools that host databases outside an agent.
    /// </summary>
    public AgentMetrics()
        : this(new Meter(EdgeSyncMetrics.MeterName, "1.0"), engine: null, ownsMeter: true)
    {
    }

    private AgentMetrics(Meter meter, EdgeSyncMetrics? engine, bool ownsMeter)
    {
        _ownMeter = ownsMeter ? meter : null;
        Engine = engine ?? new EdgeSyncMetrics();
        _changesSent = meter.CreateCounter<long>("edgesync_changes_sent", "{change}", "Row states sent to peers (pull replies and pushes), by peer");
        _changesReceived = meter.CreateCounter<long>("edgesync_changes_received", "{change}", "Row states received from peers, by peer");
        _changesWithheld = meter.CreateCounter<long>("edgesync_changes_withheld", "{change}", "Row states not sent or not applied because of a table's direction");
        _batchesSent = meter.CreateCounter<long>("edgesync_batches_sent", "{batch}", "Batches sent to peers");
        _batchesReceived = meter.CreateCounter<long>("edgesync_batches_received", "{batch}", "Batches received from peers");
        _bytesSent = meter.CreateCounter<long>("edgesync_sent_bytes", "By", "Encoded batch bytes sent");
        _bytesReceived = meter.CreateCounter<long>("edgesync_received_bytes", "By", "Encoded batch bytes received");
        _batchesUnauthorized = meter.CreateCounter<long>("edgesync_batches_unauthorized", "{batch}",
            "Batches a hub refused whole because they broke an authorization rule (down-table, owner, origin), by rule and sending peer");
        _lineageReclaimed = meter.CreateCounter<long>("edgesync_lineage_reclaimed_changes", "{change}",
            "Row states of a hub's earlier incarnations it took back from a factory after its files were put back, by sending peer");
        _pushesRejected = meter.CreateCounter<long>("edgesync_pushes_rejected", "{push}",
            "Pushes of this replica's changes that a peer refused under an authorization rule, by rule and peer (the data stays here)");
        _rounds = meter.CreateCounter<long>("edgesync_sync_rounds", "{round}", "Sync rounds run by this agent's peer loops, by result");
        _errors = meter.CreateCounter<long>("edgesync_errors", "{error}",
            "Errors by kind (unavailable, deadline, invalid_batch, resync_required, stale_batch, protocol, capture, internal)");
        _retries = meter.CreateCounter<long>("edgesync_sync_retries", "{retry}", "Sync rounds retried after a transient failure");
        _signalsCoalesced = meter.CreateCounter<long>("edgesync_sync_signals_coalesced", "{signal}",
            "Change signals dropped because a round was already pending (the bounded channel was full)");
        _ingestRows = meter.CreateCounter<long>("edgesync_ingest_rows", "{row}", "Rows committed through the ingest API");
        _peersRefused = meter.CreateCounter<long>("edgesync_peers_refused", "{peer}",
            "Peers refused by mutual TLS or identity checks, by reason (no_certificate, untrusted, expired, wrong_usage, no_identity, site_mismatch, invalid) and side (server: a caller refused; client: a server refused)");
        _ingestRejected = meter.CreateCounter<long>("edgesync_ingest_rejected", "{request}", "Ingest requests refused, by reason");
        _streamsRefused = meter.CreateCounter<long>("edgesync_streams_refused", "{call}",
            "gRPC calls refused because the peer already had MaxStreamsPerPeer open, by call");
        _backups = meter.CreateCounter<long>("edgesync_backups", "{backup}", "Scheduled backups, by result");
        _applyWait = meter.CreateHistogram("edgesync_push_apply_wait_seconds", "s",
            "Time a pushed batch waited for its turn to apply (queued at the per-database applier, fair across peers)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _captureLag = meter.CreateHistogram("edgesync_capture_lag_seconds", "s",
            "Upper bound of the time from a commit by any process to its capture (last quiet poll to sealed)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _roundDuration = meter.CreateHistogram("edgesync_sync_round_duration_seconds", "s", "Duration of a sync round with a peer",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

        meter.CreateObservableGauge("edgesync_last_backup_timestamp_seconds",
            () => _lastBackup.Select(e => new Measurement<double>(e.Value, e.Key.Tags)), "s",
            "Unix time of the last successful backup of the database (0 = never)");
        meter.CreateObservableGauge("edgesync_replication_lag_seconds",
            () => Observe(static (b, p) => b.LagSeconds(p)), "s",
            "How long the peer has lacked changes this replica has (0 when it holds them all), as of its last known vector");
        meter.CreateObservableGauge("edgesync_peer_backlog_changes",
            () => Observe(static (b, p) => b.Backlog(p)), "{change}",
            "Changes this replica has that the peer lacks, from version vectors");
        meter.CreateObservableGauge("edgesync_last_sync_timestamp_seconds",
            () => Observe(static (b, p) => p.LastSuccess is { } t ? t.ToUnixTimeMilliseconds() / 1000.0 : 0), "s",
            "Unix time of the last successful exchange with the peer");
        meter.CreateObservableGauge("edgesync_capture_heartbeat_age_seconds",
            () => _boards.Keys.Select(b => new Measurement<double>(b.CaptureHeartbeatAge().TotalSeconds, b.Tags)), "s",
            "Time since the capture loop last checked for commits (grows when it stalls)");

        // Peer conversations (issue 12): calls each peer holds open here, O(1) in the number of databases.
        meter.CreateObservableGauge("edgesync_peer_calls_open",
            () => (_openCalls?.Invoke() ?? []).Select(p => new Measurement<int>(p.Value, new KeyValuePair<string, object?>("peer", p.Key))), "{call}",
            "gRPC calls each peer has open on this agent now (its conversation and the pulls and pushes of its rounds); MaxStreamsPerPeer caps it");
        meter.CreateObservableGauge("edgesync_database_failed",
            () => (_failedDatabases?.Invoke() ?? []).Select(f => new Measurement<int>(1, new("database", f.Key), new("reason", f.Value))), "{database}",
            "1 for each database file of a served directory that failed to open (by reason: not_a_database, corrupt, schema, name_taken, certificate, io); the others are served");
        meter.CreateObservableGauge("edgesync_divergence",
            () => _divergence.Select(e => new Measurement<long>(e.Value,
                new KeyValuePair<string, object?>("database", e.Key.Database), new KeyValuePair<string, object?>("site", e.Key.Site),
                new KeyValuePair<string, object?>("peer", e.Key.Peer), new KeyValuePair<string, object?>("table", e.Key.Table))), "{row}",
            "Rows of a table whose content differs from the peer's at the last periodic content check while both held the same changes (0 = identical)");
    }

    private Func<IReadOnlyList<KeyValuePair<string, int>>>? _openCalls;
    private Func<IReadOnlyList<KeyValuePair<string, string>>>? _failedDatabases;

    /// <summary>Where <c>edgesync_database_failed</c> reads the files that failed to open (database name → reason).</summary>
    public void ObserveFailedDatabases(Func<IReadOnlyList<KeyValuePair<string, string>>> source) => _failedDatabases = source;

    /// <summary>Where <c>edgesync_peer_calls_open</c> reads the calls open per peer (the limiter, once created).</summary>
    public void ObserveOpenCalls(Func<IReadOnlyList<KeyValuePair<string, int>>> source) => _openCalls = source;

    /// <summary>The engine's instruments on the same meter, for <see cref="SyncDatabaseOptions.Metrics"/>.</summary>
    public EdgeSyncMetrics Engine { get; }

    /// <summary>Publishes the per-peer gauges of a hosted database until <see cref="Unregister"/>.</summary>
    public void Register(PeerBoard board) => _boards.TryAdd(board, 0);

    public void Unregister(PeerBoard board)
    {
        _boards.TryRemove(board, out _);
        _lastBackup.TryRemove(board, out _);
    }

    /// <summary>One batch written to a peer (<paramref name="tags"/>: <see cref="PeerBoard.TagsFor"/>).</summary>
    public void BatchSent(int rows, int bytes, KeyValuePair<string, object?>[] tags)
    {
        _batchesSent.Add(1, tags);
        _changesSent.Add(rows, tags);
        _bytesSent.Add(bytes, tags);
    }

    /// <summary>One batch read from a peer, before it is decoded.</summary>
    public void BatchReceived(int bytes, KeyValuePair<string, object?>[] tags)
    {
        _batchesReceived.Add(1, tags);
        _bytesReceived.Add(bytes, tags);
    }

    /// <summary>The rows of a received batch that reached apply (after the direction filter).</summary>
    public void ChangesReceived(int rows, KeyValuePair<string, object?>[] tags) => _changesReceived.Add(rows, tags);

    public void ChangesWithheld(int rows, KeyValuePair<string, object?>[] tags) => _changesWithheld.Add(rows, tags);

    public void BatchUnauthorized(string rule, KeyValuePair<string, object?>[] tags) => _batchesUnauthorized.Add(1, [.. tags, new("rule", rule)]);

    /// <summary>A hub took back <paramref name="rows"/> row states of its earlier incarnations from a factory (docs/security.md).</summary>
    public void LineageReclaimed(int rows, KeyValuePair<string, object?>[] tags) => _lineageReclaimed.Add(rows, tags);

    public void PushRejected(string rule, KeyValuePair<string, object?>[] tags) => _pushesRejected.Add(1, [.. tags, new("rule", rule)]);

    public void RoundDuration(double seconds, KeyValuePair<string, object?>[] tags) => _roundDuration.Record(seconds, tags);

    /// <summary>A round of a peer loop ended with <paramref name="result"/> (ok, error).</summary>
    public void Round(string result, KeyValuePair<string, object?>[] tags) => _rounds.Add(1, [.. tags, new("result", result)]);

    public void Retry(KeyValuePair<string, object?>[] tags) => _retries.Add(1, tags);

    /// <summary>An error of <paramref name="kind"/> on <paramref name="side"/> (server, client, local).</summary>
    public void Error(string kind, string side) => _errors.Add(1, new("kind", kind), new("side", side));

    public void SignalCoalesced(KeyValuePair<string, object?>[] tags) => _signalsCoalesced.Add(1, tags);

    public void IngestRows(int rows, KeyValuePair<string, object?>[] tags) => _ingestRows.Add(rows, tags);

    public void IngestRejected(string reason) => _ingestRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A peer refused for <paramref name="reason"/>; <paramref name="side"/>: server (a caller refused) or client (a server refused).</summary>
    public void PeerRefused(string reason, string side) => _peersRefused.Add(1, new("reason", reason), new("side", side));

    public void StreamRefused(string site, string call) => _streamsRefused.Add(1, new("site", site), new("call", call));

    public void ApplyWaited(double seconds) => _applyWait.Record(seconds);

    public void CaptureLag(double seconds, KeyValuePair<string, object?>[] tags) => _captureLag.Record(seconds, tags);

    /// <summary>Sets the last backup time (Unix seconds, 0 = never) of a hosted database.</summary>
    public void LastBackup(PeerBoard board, double unixSeconds) => _lastBackup[board] = unixSeconds;

    /// <summary>The database's last backup as the gauge shows it (Unix seconds, 0 = never); null before the backup scheduler looked.</summary>
    public double? LastBackupOf(PeerBoard board) => _lastBackup.TryGetValue(board, out double at) ? at : null;

    /// <summary>A scheduled backup ended with <paramref name="result"/> (ok, error).</summary>
    public void Backup(string result) => _backups.Add(1, new KeyValuePair<string, object?>("result", result));

    private IEnumerable<Measurement<double>> Observe(Func<PeerBoard, PeerStatus, double> value)
    {
        foreach (var board in _boards.Keys)
        {
            foreach (var peer in board.Snapshot())
            {
                yield return new Measurement<double>(value(board, peer), board.TagsFor(peer.Site));
            }
        }
    }

    /// <summary>The rows of <paramref name="table"/> that differ from <paramref name="peer"/>'s at the last content check.</summary>
    public void Divergence(string database, string site, string peer, string table, long rows) => _divergence[(database, site, peer, table)] = rows;

    /// <summary>Disposes the private meters of the parameterless constructor; with a factory, the factory owns the meter.</summary>
    public void Dispose()
    {
        if (_ownMeter is not null)
        {
            _ownMeter.Dispose();
            Engine.Dispose();
        }
    }
}
