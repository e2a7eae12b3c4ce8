namespace EdgeSync.Errors;

/// <summary>
/// The two replicas' histories no longer overlap enough for an incremental exchange:
/// <see cref="ErrorCode.ResyncRequired"/> (the peer must be re-seeded) or <see cref="ErrorCode.StaleBatch"/>
/// (the batch predates this replica's compaction floor; extract a fresh one).
/// </summary>
public sealed class SyncStateException : EdgeSyncException
{
    /// <summary>Creates the exception.</summary>
    public SyncStateException(ErrorCode code, string message)
        : base(code, message)
    {
    }
}
