namespace EdgeSync.Storage;

/// <summary>What <see cref="SyncStore.CommitObserver"/> sees of a commit: the connection's <c>PRAGMA synchronous</c> (1 NORMAL, 2 FULL) and whether it issued sequence numbers.</summary>
internal readonly record struct CommitRecord(long Synchronous, bool IssuedSequences);
