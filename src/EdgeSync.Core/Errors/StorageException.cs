using Microsoft.Data.Sqlite;

namespace EdgeSync.Errors;

/// <summary>
/// The database file cannot be opened or written: disk full, read-only volume, corrupt file, or locked by another
/// process for longer than the busy timeout. Nothing was half-written: the transaction that failed was rolled back.
/// <see cref="Cause"/> says which, for metrics and readiness.
/// </summary>
public sealed class StorageException : EdgeSyncException
{
    /// <summary>Creates the exception from the SQLite error.</summary>
    public StorageException(string path, SqliteException innerException)
        : base(ErrorCode.StorageFailure, Describe(path, innerException), innerException)
    {
        Path = path;
        Cause = CauseOf(innerException);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>disk_full, read_only, corrupt, locked, cannot_open or io.</summary>
    public string Cause { get; }

    /// <summary>True for SQLite errors that are about the file or the disk rather than about the data.</summary>
    public static bool IsStorageError(SqliteException e) => CauseOf(e) != "io" || (e?.SqliteErrorCode & 0xFF) == 10;

    private static string CauseOf(SqliteException? e) => (e?.SqliteErrorCode & 0xFF) switch
    {
        13 => "disk_full",
        8 => "read_only",
        11 or 26 => "corrupt",
        5 or 6 => "locked",
        14 => "cannot_open",
        _ => "io",
    };

    private static string Describe(string path, SqliteException? e) => CauseOf(e) switch
    {
        "disk_full" => $"database '{path}': the disk is full; free space or grow the volume — the write was rolled back and nothing was lost",
        "read_only" => $"database '{path}' is read-only (volume mounted read-only, or file permissions); writes cannot be accepted",
        "corrupt" => $"database '{path}' is corrupt or not a SQLite database ({e?.Message}); restore it from a backup (edgesync restore)",
        "locked" => $"database '{path}' stayed locked by another process for longer than the busy timeout; the write was rolled back, retry",
        "cannot_open" => $"cannot open database '{path}': {e?.Message} (does the directory exist and is it writable?)",
        _ => $"database '{path}': I/O error: {e?.Message}",
    };
}
