using EdgeSync.Agent.Internal;
using EdgeSync.Agent.Security;

namespace EdgeSync.Agent;

/// <summary>
/// Configuration of one agent, bound from the <c>EdgeSync</c> section (appsettings, <c>EdgeSync__Key</c> or
/// <c>EDGESYNC_KEY</c> environment variables, command-line flags). Immutable; every value but
/// <see cref="Databases"/> has a usable default.
/// </summary>
public sealed record AgentOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "EdgeSync";

    /// <summary>
    /// SQLite files this agent hosts (at least one). Each is known to peers by its file name without extension, so
    /// replicas of one database must use the same file name on every site.
    /// </summary>
    public IReadOnlyList<string> Databases { get; init; } = [];

    /// <summary>
    /// This replica's site id, unique across the fleet (e.g. <c>factory-001/sqlite-edge-0</c>). Required the first
    /// time a database is opened; later it must match the id stored in the file (or be left unset).
    /// </summary>
    public string? Site { get; init; }

    /// <summary>The cluster this agent runs in (ConfigMap key <c>cluster_id</c>). Sent in the handshake and used as a metric label.</summary>
    public string? ClusterId { get; init; }

    /// <summary>Region of the cluster (ConfigMap key <c>region</c>). Informational.</summary>
    public string? Region { get; init; }

    /// <summary>Nodes in the cluster (ConfigMap key <c>node_count</c>). Informational.</summary>
    public int? NodeCount { get; init; }

    /// <summary>Storage class of the volume holding the databases (ConfigMap key <c>storage_class</c>). Informational.</summary>
    public string? StorageClass { get; init; }

    /// <summary>
    /// This agent's role. Unset: <see cref="AgentRole.Factory"/> when <see cref="Hub"/> is set, else
    /// <see cref="AgentRole.Peer"/>. An HQ agent sets <see cref="AgentRole.Hub"/> explicitly.
    /// </summary>
    public AgentRole? Role { get; init; }

    /// <summary>
    /// URLs the sync (gRPC) endpoint listens on, e.g. <c>http://0.0.0.0:5000</c>: cleartext HTTP/2 with prior
    /// knowledge (h2c), which peers' <see cref="Peers"/>/<see cref="Hub"/> URLs point at. Kestrel cannot serve
    /// HTTP/1.1 and h2c on one cleartext port, so HTTP/1.1 clients (Prometheus, kubelet probes, curl) use
    /// <see cref="HttpListen"/>. Used by <see cref="AgentHost"/>; default <c>http://0.0.0.0:5000</c> when neither is set.
    /// </summary>
    public IReadOnlyList<string> Listen { get; init; } = [];

    /// <summary>
    /// URLs of the HTTP/1.1 endpoint (ingest, <c>/metrics</c>, <c>/healthz/*</c>), e.g. <c>http://0.0.0.0:8080</c>.
    /// The same routes are also served on <see cref="Listen"/> over HTTP/2. Default <c>http://0.0.0.0:8080</c> when
    /// neither is set.
    /// </summary>
    public IReadOnlyList<string> HttpListen { get; init; } = [];

    /// <summary>Peer agents to sync with (absolute <c>http://</c> or <c>https://</c> URLs), one conversation each, carrying every database.</summary>
    public IReadOnlyList<string> Peers { get; init; } = [];

    /// <summary>
    /// <c>name:port</c> of a headless Service: every A/AAAA record is a peer (<c>http://address:port</c>), re-resolved
    /// every <see cref="PeerDnsIntervalMs"/>. This agent's own address is recognised by its site id and skipped.
    /// </summary>
    public string? PeerDns { get; init; }

    /// <summary>How often <see cref="PeerDns"/> is re-resolved, in milliseconds.</summary>
    public int PeerDnsIntervalMs { get; init; } = 5_000;

    /// <summary>The HQ agent's URL. Setting it makes this agent a factory (unless <see cref="Role"/> says otherwise) and adds the hub as a peer.</summary>
    public string? Hub { get; init; }

    /// <summary>Synced tables: name → policy and direction. Each is enabled at start (the table must exist).</summary>
    public IReadOnlyDictionary<string, TableSyncOptions> Tables { get; init; } = new Dictionary<string, TableSyncOptions>();

    /// <summary>
    /// How often the capture loop checks <c>PRAGMA data_version</c> for commits by any process, in milliseconds, while
    /// the database's WAL file is being written (and shortly after); a quiet database is woken by the write itself.
    /// </summary>
    public int CaptureIntervalMs { get; init; } = 5;

    /// <summary>
    /// After a change, how often a peer re-sends the full list of its databases' vectors, in milliseconds; each
    /// database whose vectors differ then gets a round (rounds also run promptly after every local change and every
    /// announcement). A failed round is tried again after this long.
    /// </summary>
    public int SyncIntervalMs { get; init; } = 1_000;

    /// <summary>
    /// While nothing moves, the period of the full list (see <see cref="SyncIntervalMs"/>) stretches, doubling up to
    /// this, in milliseconds; any change brings it back. Not above <see cref="SyncIntervalMs"/>: no stretching.
    /// </summary>
    public int IdleSyncIntervalMs { get; init; } = 30_000;

    /// <summary>Deadline of a handshake, in milliseconds.</summary>
    public int CallTimeoutMs { get; init; } = 10_000;

    /// <summary>Deadline of one pull or push stream, in milliseconds. A stream cut by it resumes in the next round.</summary>
    public int StreamTimeoutMs { get; init; } = 120_000;

    /// <summary>First retry delay after a transient failure, in milliseconds (exponential, jittered).</summary>
    public int RetryBaseDelayMs { get; init; } = 100;

    /// <summary>Longest retry delay, in milliseconds.</summary>
    public int RetryMaxDelayMs { get; init; } = 5_000;

    /// <summary>Most rows in one batch this agent extracts.</summary>
    public int MaxBatchRows { get; init; } = 20_000;

    /// <summary>Most rows accepted by one ingest request.</summary>
    public int MaxIngestRows { get; init; } = 50_000;

    /// <summary>Largest gRPC message accepted or sent, in bytes (an encoded batch is one message).</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>
    /// Most gRPC calls (HTTP/2 streams) one peer may have open on this agent at once; more are refused with
    /// <c>RESOURCE_EXHAUSTED</c> and counted in <c>edgesync_streams_refused_total</c>. An agent peer keeps one
    /// conversation open plus at most <see cref="MaxRoundsPerPeer"/> pull or push calls, whatever the number of
    /// databases; the rest of the default leaves room for a one-off <c>edgesync sync --peer</c>. Peers are told apart by
    /// <see cref="Security.PeerIdentityResolver"/> (the claimed site id until mutual TLS vouches for it). Kestrel's HTTP/2
    /// streams per connection are capped at twice this value.
    /// </summary>
    public int MaxStreamsPerPeer { get; init; } = 8;

    /// <summary>
    /// Most sync rounds (each one pull or push call at a time) this agent runs at once with one peer, across all its
    /// databases; further due rounds wait their turn. Kept below this agent's <see cref="MaxStreamsPerPeer"/> (at most
    /// one less: the conversation takes one more call), which peers of one fleet share.
    /// </summary>
    public int MaxRoundsPerPeer { get; init; } = 4;

    /// <summary>
    /// The highest sync protocol this agent speaks: 4 (the default: batches also carry what the sender disclaimed after
    /// its clock was set right), 3 (batches carry column types) or 2. Two agents use the lower of theirs, so a fleet
    /// upgrades one agent at a time; a lower value keeps an upgraded agent speaking only what an older release understands.
    /// </summary>
    public int ProtocolVersion { get; init; } = Internal.Wire.ProtocolVersion;

    /// <summary>How often the fleet's published migrations are checked against the application's gate and run (ms; 0: never).</summary>
    public int MigrationCheckMs { get; init; } = 2_000;

    /// <summary>
    /// Directories whose SQLite files this agent hosts besides <see cref="Databases"/> (<c>--db-dir</c>): a directory
    /// means every <c>*.db</c> file in it; a path whose last part holds <c>*</c> or <c>?</c> (e.g.
    /// <c>/data/*.sqlite</c>) means the files matching it. Rescanned every <see cref="DatabaseScanIntervalMs"/>: a new
    /// file is opened and synced, a removed one is let go. A file that fails to open (not SQLite, corrupt, a configured
    /// table missing, a name already hosted) is logged and exported as <c>edgesync_database_failed</c>, and tried again
    /// when it changes; the other databases are not affected.
    /// </summary>
    public IReadOnlyList<string> DatabaseDirectories { get; init; } = [];

    /// <summary>How often <see cref="DatabaseDirectories"/> are rescanned for new and removed files, in milliseconds.</summary>
    public int DatabaseScanIntervalMs { get; init; } = 2_000;

    /// <summary>
    /// Minutes without any contact after which a peer is forgotten (as <c>edgesync peers forget</c> does): its
    /// recorded vector, so compaction and retention stop waiting for it, its <c>cluster_sync</c> rows and its gauges.
    /// Contact is any vector, call or open conversation, and the time since this agent started counts as contact, so
    /// a restart forgets nobody early. 0 (the default) never forgets; otherwise at least four
    /// <see cref="IdleSyncIntervalMs"/>, the longest a connected quiet peer goes unheard. A forgotten peer that comes
    /// back is recorded anew; if compaction passed what it holds meanwhile, it must be re-seeded.
    /// </summary>
    public double ForgetPeersAfterMinutes { get; init; }

    /// <summary>Largest HTTP ingest request body, in bytes; a larger one is refused with 413 before it is parsed.</summary>
    public int MaxIngestBodyBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Directory for scheduled backups (the PVC in Kubernetes, e.g. <c>/data/backups</c>).</summary>
    public string? BackupDirectory { get; init; }

    /// <summary>Minutes between scheduled online backups of every database (fractions allowed); 0 turns scheduled backups off.</summary>
    public double BackupIntervalMinutes { get; init; }

    /// <summary>
    /// Minutes between content checks with each static peer (<see cref="Peers"/>, <see cref="Hub"/>): when both replicas
    /// hold the same changes, their content digests are compared and <c>edgesync_divergence</c> is set (fractions
    /// allowed); 0 turns the checks off. A check reads every row of the database once on each side.
    /// </summary>
    public double DivergenceCheckMinutes { get; init; } = 10;

    /// <summary>Scheduled backups kept per database; older ones are deleted after each successful backup.</summary>
    public int BackupRetention { get; init; } = 24;

    /// <summary>
    /// Mutual TLS between agents (<c>EdgeSync:Tls:CertificateFile</c>, <c>KeyFile</c>, <c>CaFile</c>). When set, the
    /// sync endpoint (<see cref="Listen"/>) must be <c>https://</c> and requires a client certificate from the fleet CA,
    /// and peer URLs must be <c>https://</c>. See <see cref="AgentTlsOptions"/>.
    /// </summary>
    public AgentTlsOptions Tls { get; init; } = new();

    /// <summary>Authentication of ingest and admin endpoints (<c>EdgeSync:Auth:TokenFile</c>). See <see cref="AgentAuthOptions"/>.</summary>
    public AgentAuthOptions Auth { get; init; } = new();

    /// <summary>
    /// How long an ingest request with <c>ack=replicas:N</c> or <c>ack=hub</c> waits for that level before it answers
    /// 504 with how far the rows got (they stay written), in milliseconds; a request may ask for less with
    /// <c>ackTimeoutMs</c>.
    /// </summary>
    public int AckTimeoutMs { get; init; } = 10_000;

    /// <summary>
    /// Free bytes the volume of a database must keep: below it, ingest into that database is refused with 507 and
    /// <c>Retry-After</c> until space is freed (sync and retention go on). 0 turns the guard off.
    /// </summary>
    public long MinFreeBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>The <c>Retry-After</c> of a 507 answer, in seconds.</summary>
    public int FreeSpaceRetryAfterSeconds { get; init; } = 30;

    /// <summary>How often retention runs over the tables that have a <see cref="TableSyncOptions.Retention"/>, in milliseconds.</summary>
    public int RetentionIntervalMs { get; init; } = 10_000;

    /// <summary>Most rows one pruning transaction deletes; writers get the lock between batches.</summary>
    public int RetentionBatchRows { get; init; } = 2_000;

    /// <summary>
    /// Export of HQ's history to NATS JetStream (<c>EdgeSync:Export</c>): on a hub with <see cref="Export.ExportOptions.Urls"/>
    /// set, each change of the configured tables is published once to a replicated stream. See <see cref="Export.ExportOptions"/>.
    /// </summary>
    public Export.ExportOptions Export { get; init; } = new();

    /// <summary>
    /// Minutes between compaction passes over every hosted database (0, the default, never compacts). A pass drops the
    /// change-log entries and tombstones every recorded peer holds (a forgotten peer no longer counts), and runs only once
    /// every static peer (<see cref="Peers"/>, <see cref="Hub"/>) has completed an exchange since this agent started. A
    /// replica that first joins after a pass must be seeded from a current replica's backup (its empty vector is behind the
    /// floor). Publishes <c>edgesync_metadata_log_entries</c>, <c>edgesync_metadata_tombstones</c> and
    /// <c>edgesync_metadata_bytes</c> per database after every pass, also when compaction is skipped.
    /// </summary>
    public double CompactionIntervalMinutes { get; init; }

    /// <summary>The role in effect (see <see cref="Role"/>).</summary>
    public AgentRole EffectiveRole => Role ?? (string.IsNullOrWhiteSpace(Hub) ? AgentRole.Peer : AgentRole.Factory);

    /// <summary>The configured direction of <paramref name="table"/>; <see cref="SyncDirection.Both"/> when not configured.</summary>
    public SyncDirection DirectionOf(string table) =>
        Tables.TryGetValue(table, out var t) ? t.Direction
        : string.Equals(table, MigrationLogTable, StringComparison.OrdinalIgnoreCase) ? SyncDirection.Down // HQ publishes, factories run
        : SyncDirection.Both;

    /// <summary>The fleet's migration log (docs/schema.md): synced down from HQ unless configured otherwise.</summary>
    internal const string MigrationLogTable = "edgesync_migrations";

    /// <summary>Static peer URLs: <see cref="Peers"/> plus <see cref="Hub"/>, without duplicates.</summary>
    public IReadOnlyList<string> StaticPeers =>
        Peers.Append(Hub).Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => PeerAddress.Normalize(u!)).Distinct(StringComparer.Ordinal).ToList();
}
