namespace EdgeSync.Agent.Export;

/// <summary>
/// Export of HQ's history to NATS JetStream (section <c>EdgeSync:Export</c>; docs/lifecycle.md). Only a
/// <see cref="AgentRole.Hub"/> agent exports, and only when <see cref="Urls"/> is set. Every hub replica configured
/// alike competes for one lease per database; the holder publishes each change of <see cref="Tables"/> to
/// <see cref="Stream"/> exactly once, in order per table and origin.
/// </summary>
public sealed record ExportOptions
{
    /// <summary>NATS server URLs, e.g. <c>nats://nats-0:4222</c>; empty (the default) turns the export off.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>The JetStream stream; created (or its subjects and duplicate window updated) when the export starts.</summary>
    public string Stream { get; init; } = "EDGESYNC";

    /// <summary>First subject token: messages go to <c>{SubjectPrefix}.{database}.{table}.{origin}</c>.</summary>
    public string SubjectPrefix { get; init; } = "edgesync";

    /// <summary>Replicas of the stream and of the lease bucket (3 on a three-node JetStream cluster).</summary>
    public int Replicas { get; init; } = 3;

    /// <summary>Tables whose changes are exported; empty exports every synced table.</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>A NATS credentials file (<c>.creds</c>: JWT and NKey seed), when the servers require one.</summary>
    public string? CredentialsFile { get; init; }

    /// <summary>A file holding a NATS token (surrounding whitespace ignored), when the servers require one.</summary>
    public string? TokenFile { get; init; }

    /// <summary>The stream's duplicate window (<c>Nats-Msg-Id</c> deduplication), in seconds.</summary>
    public int DuplicateWindowSeconds { get; init; } = 120;

    /// <summary>The KV bucket holding the export lease (one key per database).</summary>
    public string LeaseBucket { get; init; } = "edgesync_export";

    /// <summary>
    /// Seconds a lease lives without renewal: the longest the export pauses when its holder dies before another
    /// replica takes over. Renewed every third of it.
    /// </summary>
    public int LeaseSeconds { get; init; } = 10;

    /// <summary>Most rows per message.</summary>
    public int MaxMessageRows { get; init; } = 5_000;

    /// <summary>Most body bytes per message (keep below the servers' <c>max_payload</c>, 1 MiB by default).</summary>
    public int MaxMessageBytes { get; init; } = 512 * 1024;

    /// <summary>How long an export pass waits for new changes when it found none, in milliseconds.</summary>
    public int IdleMs { get; init; } = 200;

    /// <summary>True when the export is configured.</summary>
    public bool Enabled => Urls.Count > 0;
}
