using EdgeSync.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Storage;

/// <summary>The keys of <c>_edgesync_meta</c> that other folders read or set: site id and backup marks.</summary>
internal static class MetaTable
{
    /// <summary>The site id stored in the database (the current incarnation).</summary>
    public static string SiteId(SqliteConnection db) => (string)Sql.Scalar(db, "SELECT value FROM _edgesync_meta WHERE key = 'site_id'")!;

    /// <summary>Marks a fresh backup copy: whoever opens it continues as the site's next incarnation.</summary>
    public static void MarkBackupCopy(SqliteConnection copy, DateTimeOffset takenAt) =>
        Sql.Scalar(copy, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('restore_pending', 1), ('backup_taken_ms', $t)",
            ("$t", takenAt.ToUnixTimeMilliseconds()));

    /// <summary>True when <paramref name="db"/> is a backup copy not opened since (see <see cref="MarkBackupCopy"/>).</summary>
    public static bool IsBackupCopy(SqliteConnection db) =>
        Sql.Scalar(db, "SELECT value FROM _edgesync_meta WHERE key = 'restore_pending'") is not null;

    /// <summary>Records in the live database when its last successful backup was taken.</summary>
    public static void RecordBackupTaken(SqliteConnection live, DateTimeOffset takenAt) =>
        Sql.Scalar(live, "INSERT OR REPLACE INTO _edgesync_meta(key, value) VALUES ('last_backup_ms', $t)", ("$t", takenAt.ToUnixTimeMilliseconds()));

    /// <summary>When the last successful backup was taken, if ever.</summary>
    public static DateTimeOffset? LastBackupAt(SqliteConnection db) =>
        Sql.Scalar(db, "SELECT value FROM _edgesync_meta WHERE key = 'last_backup_ms'") is long ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
}
