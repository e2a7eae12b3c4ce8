using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>Space inside a database file that SQLite reuses before it grows the file.</summary>
internal static class FileSpace
{
    /// <summary>
    /// Bytes of the file's free pages (<c>PRAGMA freelist_count</c> × <c>page_size</c>): rows deleted (by retention,
    /// compaction or the application) leave them, and inserts fill them before the file grows.
    /// </summary>
    public static long ReusableBytes(SqliteConnection connection) =>
        (long)Sql.Scalar(connection, "PRAGMA freelist_count")! * (long)Sql.Scalar(connection, "PRAGMA page_size")!;
}
