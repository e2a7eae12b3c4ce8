namespace EdgeSync.Storage;

/// <summary>
/// How a write transaction of <see cref="SyncStore"/> reaches the disk. SQLite fixes <c>PRAGMA synchronous</c> for a
/// whole transaction, so it is chosen when the transaction begins.
/// </summary>
internal enum Durability
{
    /// <summary>
    /// <c>synchronous=FULL</c>: on disk when the commit returns. Required for a transaction that issues sequence
    /// numbers (a reader may ship them at once; a power cut must not take them back to be issued again with other
    /// contents) or that changes the site's identity.
    /// </summary>
    Full,

    /// <summary>
    /// <c>synchronous=NORMAL</c>: a power cut may undo the last commits (the database stays consistent). For what is
    /// redone if lost: a peer's changes (re-sent, since the vector goes back with them), peers' vectors,
    /// <c>cluster_sync</c>, compaction.
    /// </summary>
    Bookkeeping,

    /// <summary>
    /// A transaction that seals local changes first (capture, apply): <see cref="Full"/> when a seal would issue
    /// sequence numbers, checked under the write lock (<see cref="SyncStore.HasUnsealedChanges"/>), otherwise
    /// <see cref="Bookkeeping"/>.
    /// </summary>
    Sealing,
}
