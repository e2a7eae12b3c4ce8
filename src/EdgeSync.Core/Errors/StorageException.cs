using Microsoft.Data.Sqlite;

namespace EdgeSync.Errors;

/// <summary>The database file cannot be opened or written (missing directory, read-only, corrupt, locked).</summary>
public sealed class StorageException : EdgeSyncException
{
    /// <summary>Creates the exception from the SQLite error.</summary>
    public StorageException(string path, SqliteException innerException)
        : base(ErrorCode.StorageFailure, $"cannot use database '{path}': {innerException?.Message}", innerException)
    {
        Path = path;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }
}
