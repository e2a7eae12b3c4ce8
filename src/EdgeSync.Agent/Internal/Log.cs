using Microsoft.Extensions.Logging;

namespace EdgeSync.Agent.Internal;

/// <summary>
/// Source-generated log messages of EdgeSync.Agent. Event ids: 2000–2099 host, 2100–2199 capture,
/// 2200–2299 sync client, 2300–2399 sync server, 2400–2499 ingest,
/// 2600–2699 backup, 2800–2899 identity (TLS, authentication).
/// </summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "Agent started: site {Site}, role {Role}, databases {Databases}, peers {Peers}, peer DNS {PeerDns}")]
    public static partial void Started(ILogger logger, string site, AgentRole role, string databases, string peers, string? peerDns);

    [LoggerMessage(2001, LogLevel.Information, "Agent stopping")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(2100, LogLevel.Error, "Capture failed on database {Database}")]
    public static partial void CaptureFailed(ILogger logger, string database, Exception exception);

    [LoggerMessage(2101, LogLevel.Debug, "Captured {Changes} changes on database {Database}")]
    public static partial void Captured(ILogger logger, string database, int changes);

    [LoggerMessage(2102, LogLevel.Warning, "Capture of {Database} polls (every 50 ms when quiet): its directory cannot be watched for writes: {Reason}")]
    public static partial void CaptureUnwatched(ILogger logger, string database, string reason);

    [LoggerMessage(2002, LogLevel.Information, "Agent stopped in {Milliseconds:0} ms ({LoopsMilliseconds:0} ms for the loops to end): {Databases} databases closed, {Checkpointed} WAL files checkpointed")]
    public static partial void Stopped(ILogger logger, double milliseconds, double loopsMilliseconds, int databases, int checkpointed);

    [LoggerMessage(2003, LogLevel.Warning, "Checkpointing the WAL of {Database} while stopping failed: {Reason}")]
    public static partial void CheckpointFailed(ILogger logger, string database, string reason);

    [LoggerMessage(2200, LogLevel.Debug, "Synced {Database} with {Peer} ({Url}): pulled {Pulled}, pushed {Pushed} changes in {Milliseconds} ms")]
    public static partial void RoundCompleted(ILogger logger, string database, string peer, string url, long pulled, long pushed, double milliseconds);

    [LoggerMessage(2201, LogLevel.Warning, "Sync of {Database} with {Url} failed ({Kind}): {Reason}")]
    public static partial void RoundFailed(ILogger logger, string database, string url, string kind, string reason);

    [LoggerMessage(2202, LogLevel.Information, "Sync of {Database} with {Url} failed ({Kind}), retry {Attempt} in {DelayMs} ms: {Reason}")]
    public static partial void Retrying(ILogger logger, string database, string url, string kind, int attempt, double delayMs, string reason);

    [LoggerMessage(2210, LogLevel.Debug, "Sync of {Database} with {Url} still failing ({Kind}), retry {Attempt} in {DelayMs} ms: {Reason}")]
    public static partial void RetryingAgain(ILogger logger, string database, string url, string kind, int attempt, double delayMs, string reason);

    [LoggerMessage(2211, LogLevel.Debug, "Sync of {Database} with {Url} still failing ({Kind}): {Reason}")]
    public static partial void RoundFailedAgain(ILogger logger, string database, string url, string kind, string reason);

    [LoggerMessage(2212, LogLevel.Information, "Sync of {Database} with {Peer} ({Url}) works again after {Failures} failed attempts")]
    public static partial void Recovered(ILogger logger, string database, string peer, string url, int failures);

    [LoggerMessage(2203, LogLevel.Information, "Peer {Url} is this agent (site {Site}); not syncing with it")]
    public static partial void PeerIsSelf(ILogger logger, string url, string site);

    [LoggerMessage(2204, LogLevel.Information, "Peer {Url} added")]
    public static partial void PeerAdded(ILogger logger, string url);

    [LoggerMessage(2205, LogLevel.Information, "Peer {Url} removed (no longer in DNS)")]
    public static partial void PeerRemoved(ILogger logger, string url);

    [LoggerMessage(2206, LogLevel.Warning, "Resolving peers from {Name} failed: {Reason}")]
    public static partial void DnsFailed(ILogger logger, string name, string reason);

    [LoggerMessage(2207, LogLevel.Error, "Sync loop of {Database} with {Url} failed unexpectedly")]
    public static partial void LoopFailed(ILogger logger, string database, string url, Exception exception);

    [LoggerMessage(2208, LogLevel.Warning, "Push of {Database} to {Peer} refused by rule {Rule}; local data kept, next push in {DelayMs} ms: {Detail}")]
    public static partial void PushRejected(ILogger logger, string database, string peer, string rule, double delayMs, string detail);

    [LoggerMessage(2209, LogLevel.Information, "Push of {Database} to {Peer} accepted again; earlier refusal cleared")]
    public static partial void PushRejectionCleared(ILogger logger, string database, string peer);

    [LoggerMessage(2302, LogLevel.Warning, "Refused a batch for {Database} from {Peer} (authenticated {Authenticated}) by rule {Rule} ({Violations} violations): {Detail}")]
    public static partial void BatchUnauthorized(ILogger logger, string database, string peer, bool authenticated, string rule, int violations, string detail);

    [LoggerMessage(2303, LogLevel.Warning,
        "Took back {Changes} changes of this hub's earlier incarnation(s) for {Database} from factory {Peer}: {Ranges} ({Applied} rows changed); "
        + "the hub's files had been put back to an earlier copy, and the factory held what the hub wrote after it")]
    public static partial void LineageReclaimed(ILogger logger, string database, string peer, int changes, string ranges, int applied);

    [LoggerMessage(2300, LogLevel.Warning, "Refused {Call} from {Peer} ({Code}): {Reason}")]
    public static partial void Refused(ILogger logger, string call, string peer, string code, string reason);

    [LoggerMessage(2301, LogLevel.Error, "{Call} from {Peer} failed")]
    public static partial void ServerError(ILogger logger, string call, string peer, Exception exception);

    [LoggerMessage(2400, LogLevel.Debug, "Ingested {Rows} rows into {Table}")]
    public static partial void Ingested(ILogger logger, string table, int rows);

    [LoggerMessage(2401, LogLevel.Information, "Refused ingest into {Table}: {Problems} problems")]
    public static partial void IngestRefused(ILogger logger, string table, int problems);

    [LoggerMessage(2600, LogLevel.Information, "Backed up {Database} to {Path}: {Bytes} bytes in {Seconds:0.00} s")]
    public static partial void BackupTaken(ILogger logger, string database, string path, long bytes, double seconds);

    [LoggerMessage(2601, LogLevel.Error, "Backup of {Database} to {Path} failed: {Reason}")]
    public static partial void BackupFailed(ILogger logger, string database, string path, string reason);

    [LoggerMessage(2800, LogLevel.Warning, "Refused peer connection from {Remote} ({Reason}): {Detail}")]
    public static partial void PeerRefused(ILogger logger, string remote, string reason, string detail);

    [LoggerMessage(2801, LogLevel.Warning, "Refused peer {Url} ({Reason}): {Detail}")]
    public static partial void ServerRefused(ILogger logger, string url, string reason, string detail);

    [LoggerMessage(2802, LogLevel.Warning, "Refused unauthenticated {Method} {Path} from {Remote}: {Reason}")]
    public static partial void Unauthenticated(ILogger logger, string method, string path, string remote, string reason);

    [LoggerMessage(2803, LogLevel.Warning, "Ingest is unauthenticated: no EdgeSync:Tls and no EdgeSync:Auth:TokenFile are configured, so anyone who reaches {Endpoints} can write rows (fine for a demo, not for a fleet)")]
    public static partial void IngestOpen(ILogger logger, string endpoints);

    [LoggerMessage(2804, LogLevel.Information, "Mutual TLS on: certificate {Subject} ({Identity}) valid until {NotAfter:u}, fleet CA {Authorities}")]
    public static partial void TlsOn(ILogger logger, string subject, string identity, DateTime notAfter, string authorities);

    [LoggerMessage(2805, LogLevel.Information, "Reloaded the TLS certificate: {Subject} valid until {NotAfter:u}")]
    public static partial void TlsReloaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(2806, LogLevel.Warning, "Reloading the TLS files failed, keeping the previous certificate: {Reason}")]
    public static partial void TlsReloadFailed(ILogger logger, string reason);

    [LoggerMessage(2700, LogLevel.Warning, "Refused {Call} from {Peer}: it already has {Open} calls open on this agent (MaxStreamsPerPeer)")]
    public static partial void StreamRefused(ILogger logger, string call, string peer, int open);

    // Peer conversations (one per peer, every database): 2220–2229.
    [LoggerMessage(2220, LogLevel.Information, "Conversation with {Peer} ({Url}) open: {Shared} databases in common")]
    public static partial void ConversationOpened(ILogger logger, string peer, string url, int shared);

    [LoggerMessage(2221, LogLevel.Warning, "Conversation with {Url} failed ({Kind}): {Reason}")]
    public static partial void ConversationFailed(ILogger logger, string url, string kind, string reason);

    [LoggerMessage(2222, LogLevel.Debug, "Conversation with {Url} still failing ({Kind}): {Reason}")]
    public static partial void ConversationFailedAgain(ILogger logger, string url, string kind, string reason);

    [LoggerMessage(2223, LogLevel.Information, "Forgot peer {Peer} of database {Database}: no contact for {Minutes:0.#} minutes (ForgetPeersAfterMinutes)")]
    public static partial void PeerForgotten(ILogger logger, string peer, string database, double minutes);

    // Served directories (--db-dir): 2010–2019.
    [LoggerMessage(2010, LogLevel.Information, "Serving database {Database} ({Path}), found in a served directory")]
    public static partial void DatabaseAdded(ILogger logger, string database, string path);

    [LoggerMessage(2011, LogLevel.Information, "Let go of database {Database}: {Path} was removed")]
    public static partial void DatabaseRemoved(ILogger logger, string database, string path);

    [LoggerMessage(2012, LogLevel.Warning, "Cannot serve {Path} ({Reason}): {Detail}; the other databases are served, and the file is tried again when it changes")]
    public static partial void DatabaseFailed(ILogger logger, string path, string reason, string detail);

    [LoggerMessage(2013, LogLevel.Warning, "Cannot scan {Pattern} for databases: {Reason}")]
    public static partial void DirectoryScanFailed(ILogger logger, string pattern, string reason);
    [LoggerMessage(2900, LogLevel.Warning, "Diverged from {Peer} in database {Database}: {Summary}")]
    public static partial void Diverged(ILogger logger, string database, string peer, string summary);

    [LoggerMessage(2901, LogLevel.Information, "Content of database {Database} agrees with {Peer} again")]
    public static partial void DivergenceCleared(ILogger logger, string database, string peer);

    [LoggerMessage(2902, LogLevel.Debug, "Content check of database {Database} with {Url} failed: {Reason}")]
    public static partial void ContentCheckFailed(ILogger logger, string database, string url, string reason);

    [LoggerMessage(2910, LogLevel.Debug, "Retention pruned {Rows} rows of {Database}.{Table}")]
    public static partial void Pruned(ILogger logger, string database, string table, int rows);

    [LoggerMessage(2911, LogLevel.Warning, "Retention of {Database}.{Table} failed, retrying next pass: {Reason}")]
    public static partial void PruneFailed(ILogger logger, string database, string table, string reason);

    [LoggerMessage(2912, LogLevel.Warning, "Refused ingest into {Database}: {Free} bytes free on its volume, below EdgeSync:MinFreeBytes {Min}")]
    public static partial void VolumeLow(ILogger logger, string database, long free, long min);

    [LoggerMessage(2913, LogLevel.Warning, "Lifecycle pass (disk probe, lag gauges) failed on database {Database} ({Type}): {Reason}; the other databases go on, and this one is tried again next second")]
    public static partial void LifecycleFailed(ILogger logger, string database, string type, string reason);

    [LoggerMessage(2914, LogLevel.Debug, "Lifecycle pass failed on database {Database} again: {Reason}")]
    public static partial void LifecycleFailedAgain(ILogger logger, string database, string reason);

    [LoggerMessage(2915, LogLevel.Information, "Lifecycle pass works on database {Database} again")]
    public static partial void LifecycleRecovered(ILogger logger, string database);

    // Fleet-managed migrations: 2920–2929.
    [LoggerMessage(2920, LogLevel.Error, "Published migration {Migration} failed on database {Database} and was rolled back (nothing of it applied; later ones wait): {Error}")]
    public static partial void MigrationFailed(ILogger logger, string database, string migration, string error);

    [LoggerMessage(2921, LogLevel.Information, "Published migration {Migration} applied on database {Database} after failing before")]
    public static partial void MigrationRecovered(ILogger logger, string database, string migration);

    [LoggerMessage(2922, LogLevel.Warning, "Could not check the published migrations of database {Database}: {Reason}")]
    public static partial void MigrationPassFailed(ILogger logger, string database, string reason);

    // Scheduled compaction and repair (safety): 3300–3399.
    [LoggerMessage(3300, LogLevel.Debug, "Compaction of database {Database} waits: {Heard} of {Static} static peers completed an exchange since start")]
    public static partial void CompactionWaiting(ILogger logger, string database, int heard, int @static);

    [LoggerMessage(3301, LogLevel.Warning, "Compaction of database {Database} failed, retrying next pass: {Reason}")]
    public static partial void CompactionFailed(ILogger logger, string database, string reason);

    [LoggerMessage(3310, LogLevel.Warning, "Table {Table} of database {Database} was 'up' and is now '{Direction}': re-offered its {Rows} rows so factories receive the history withheld from them")]
    public static partial void DirectionOpened(ILogger logger, string database, string table, string direction, int rows);

    [LoggerMessage(3311, LogLevel.Warning, "Database {Database}: issued again {Rows} rows of re-offered tables that came back after the re-offer and that a factory's vector passed without them (exchange with {Peer})")]
    public static partial void ReofferCompleted(ILogger logger, string database, string peer, int rows);

    // Replication lag under load (capture, extract, apply pipeline): 3600–3649.
    [LoggerMessage(3600, LogLevel.Warning, "Capture of database {Database} could not take the write lock within {Seconds} s (another connection holds it); trying again at the next check")]
    public static partial void CaptureLockBusy(ILogger logger, string database, double seconds);
}
