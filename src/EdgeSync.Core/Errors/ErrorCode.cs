namespace EdgeSync.Errors;

/// <summary>Machine-readable error codes carried by every <see cref="EdgeSyncException"/>.</summary>
public enum ErrorCode
{
    /// <summary>The table cannot be synced as it is (no primary key, unsupported key type, reserved name…).</summary>
    TableNotSupported = 1,

    /// <summary>The table does not exist in the database.</summary>
    TableNotFound = 2,

    /// <summary>Sync has not been enabled on this database or table.</summary>
    NotEnabled = 3,

    /// <summary>A change batch is malformed, truncated, or does not match the local schema.</summary>
    InvalidBatch = 5,

    /// <summary>The peer is behind this replica's compaction floor and must be re-seeded from a snapshot.</summary>
    ResyncRequired = 6,

    /// <summary>A batch was extracted from a state older than this replica's compaction floor; extract a fresh one.</summary>
    StaleBatch = 7,

    /// <summary>An argument or option value is invalid.</summary>
    InvalidArgument = 8,

    /// <summary>The database file is not usable (corrupt, read-only, locked for too long).</summary>
    StorageFailure = 9,

    /// <summary>A schema migration failed and was rolled back: nothing of it was applied.</summary>
    MigrationFailed = 10,
}
