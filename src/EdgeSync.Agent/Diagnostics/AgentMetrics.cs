using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeSync.Agent.Sync;
using EdgeSync.Diagnostics;

namespace EdgeSync.Agent.Diagnostics;

/// <summary>
/// The agent's instruments, on a meter with the engine's name (<see cref="EdgeSyncMetrics.MeterName"/>) so one
/// <c>AddMeter("EdgeSync")</c> exports both. Per-peer gauges read the <see cref="PeerBoard"/>s of running agents.
/// </summary>
internal static class AgentMetrics
{
    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly ConcurrentDictionary<PeerBoard, byte> Boards = new();

    public static readonly Meter Meter = new(EdgeSyncMetrics.MeterName, "1.0");

    public static readonly Counter<long> ChangesSent =
        Meter.CreateCounter<long>("edgesync_changes_sent", "{change}", "Row states sent to peers (pull replies and pushes), by peer");

    public static readonly Counter<long> ChangesReceived =
        Meter.CreateCounter<long>("edgesync_changes_received", "{change}", "Row states received from peers, by peer");

    public static readonly Counter<long> ChangesWithheld =
        Meter.CreateCounter<long>("edgesync_changes_withheld", "{change}", "Row states not sent or not applied because of a table's direction");

    public static readonly Counter<long> BatchesSent =
        Meter.CreateCounter<long>("edgesync_batches_sent", "{batch}", "Batches sent to peers");

    public static readonly Counter<long> BatchesReceived =
        Meter.CreateCounter<long>("edgesync_batches_received", "{batch}", "Batches received from peers");

    public static readonly Counter<long> BytesSent =
        Meter.CreateCounter<long>("edgesync_sent_bytes", "By", "Encoded batch bytes sent");

    public static readonly Counter<long> BytesReceived =
        Meter.CreateCounter<long>("edgesync_received_bytes", "By", "Encoded batch bytes received");

    public static readonly Counter<long> BatchesUnauthorized =
        Meter.CreateCounter<long>("edgesync_batches_unauthorized", "{batch}",
            "Batches a hub refused whole because they broke an authorization rule (down-table, owner, origin), by rule and sending peer");

    public static readonly Counter<long> PushesRejected =
        Meter.CreateCounter<long>("edgesync_pushes_rejected", "{push}",
            "Pushes of this replica's changes that a peer refused under an authorization rule, by rule and peer (the data stays here)");

    public static readonly Counter<long> Rounds =
        Meter.CreateCounter<long>("edgesync_sync_rounds", "{round}", "Sync rounds run by this agent's peer loops, by result");

    public static readonly Counter<long> Errors =
        Meter.CreateCounter<long>("edgesync_errors", "{error}", "Errors by kind (unavailable, deadline, invalid_batch, resync_required, stale_batch, protocol, capture, internal)");

    public static readonly Counter<long> Retries =
        Meter.CreateCounter<long>("edgesync_sync_retries", "{retry}", "Sync rounds retried after a transient failure");

    public static readonly Counter<long> SignalsCoalesced =
        Meter.CreateCounter<long>("edgesync_sync_signals_coalesced", "{signal}", "Change signals dropped because a round was already pending (the bounded channel was full)");

    public static readonly Counter<long> IngestRows =
        Meter.CreateCounter<long>("edgesync_ingest_rows", "{row}", "Rows committed through the ingest API");

    public static readonly Counter<long> PeersRefused =
        Meter.CreateCounter<long>("edgesync_peers_refused", "{peer}",
            "Peers refused by mutual TLS or identity checks, by reason (no_certificate, untrusted, expired, wrong_usage, no_identity, site_mismatch, invalid) and side (server: a caller refused; client: a server refused)");

    public static readonly Counter<long> IngestRejected =
        Meter.CreateCounter<long>("edgesync_ingest_rejected", "{request}", "Ingest requests refused, by reason");

    public static readonly Counter<long> StreamsRefused =
        Meter.CreateCounter<long>("edgesync_streams_refused", "{call}", "gRPC calls refused because the peer already had MaxStreamsPerPeer open, by call");

    public static readonly Histogram<double> ApplyWait =
        Meter.CreateHistogram("edgesync_push_apply_wait_seconds", "s", "Time a pushed batch waited for its turn to apply (the per-database gate, fair across peers)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    public static readonly Histogram<double> CaptureLag =
        Meter.CreateHistogram("edgesync_capture_lag_seconds", "s",
            "Upper bound of the time from a commit by any process to its capture (last quiet poll to sealed)",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    public static readonly Histogram<double> RoundDuration =
        Meter.CreateHistogram("edgesync_sync_round_duration_seconds", "s", "Duration of a sync round with a peer",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Unix seconds of the last successful backup, by hosted database's board (0 = never).</summary>
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<PeerBoard, double> LastBackup = new();

    public static readonly Counter<long> Backups =
        Meter.CreateCounter<long>("edgesync_backups", "{backup}", "Scheduled backups, by result");

    static AgentMetrics()
    {
        Meter.CreateObservableGauge("edgesync_last_backup_timestamp_seconds",
            () => LastBackup.Select(e => new Measurement<double>(e.Value, e.Key.Tags)), "s",
            "Unix time of the last successful backup of the database (0 = never)");
        Meter.CreateObservableGauge("edgesync_replication_lag_seconds",
            () => Observe(static (b, p) => b.LagSeconds(p)), "s",
            "How long the peer has lacked changes this replica has (0 when it holds them all), as of its last known vector");
        Meter.CreateObservableGauge("edgesync_peer_backlog_changes",
            () => Observe(static (b, p) => b.Backlog(p)), "{change}",
            "Changes this replica has that the peer lacks, from version vectors");
        Meter.CreateObservableGauge("edgesync_last_sync_timestamp_seconds",
            () => Observe(static (b, p) => p.LastSuccess is { } t ? t.ToUnixTimeMilliseconds() / 1000.0 : 0), "s",
            "Unix time of the last successful exchange with the peer");
        Meter.CreateObservableGauge("edgesync_capture_heartbeat_age_seconds",
            () => Boards.Keys.Select(b => new Measurement<double>(b.CaptureHeartbeatAge().TotalSeconds, b.Tags)), "s",
            "Time since the capture loop last checked for commits (grows when it stalls)");
    }

    public static void Register(PeerBoard board) => Boards.TryAdd(board, 0);

    public static void Unregister(PeerBoard board)
    {
        Boards.TryRemove(board, out _);
        LastBackup.TryRemove(board, out _);
    }

    private static IEnumerable<Measurement<double>> Observe(Func<PeerBoard, PeerStatus, double> value)
    {
        foreach (var board in Boards.Keys)
        {
            foreach (var peer in board.Snapshot())
            {
                yield return new Measurement<double>(value(board, peer), board.TagsFor(peer.Site));
            }
        }
    }
}
