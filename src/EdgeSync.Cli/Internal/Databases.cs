using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Internal;

/// <summary>Opens the database files commands are pointed at, with errors that say what to do.</summary>
internal static class Databases
{
    /// <summary>Refuses a path that is not an existing file (the CLI never creates an empty database by accident).</summary>
    public static void RequireFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.IoError, Directory.Exists(path)
                ? $"'{path}' is a directory, not a database file"
                : $"database '{path}' does not exist");
        }
    }

    /// <summary>Opens a database that <c>edgesync init</c> has already set up (Ctrl-C stops a wait for another writer's lock).</summary>
    public static SyncDatabase OpenInitialised(string path, CancellationToken cancellationToken)
    {
        RequireFile(path);
        if (ReadSiteId(path) is null)
        {
            throw new CliException(ExitCodes.EdgeSyncError,
                $"database '{path}' is not set up for EdgeSync yet; run 'edgesync init --db {path} --site SITE --table NAME=POLICY' first");
        }

        return SyncDatabase.Open(path, cancellationToken: cancellationToken);
    }

    /// <summary>The site id stored in the file, or null when EdgeSync was never set up there. Read-only.</summary>
    private static string? ReadSiteId(string path)
    {
        var csb = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        try
        {
            using var connection = new SqliteConnection(csb.ToString());
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_edgesync_meta'";
            if ((long)cmd.ExecuteScalar()! == 0)
            {
                return null;
            }

            cmd.CommandText = "SELECT value FROM _edgesync_meta WHERE key = 'site_id'";
            return cmd.ExecuteScalar() as string;
        }
        catch (SqliteException e)
        {
            throw new CliException(ExitCodes.IoError, $"cannot read database '{path}': {e.Message}");
        }
    }
}
