using EdgeSync.Cli.Internal;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.K8s;

/// <summary>
/// <c>edgesync k8s init-db</c>, the StatefulSet's init container: creates the database file on a new volume and
/// runs the schema script (which must be idempotent: <c>CREATE TABLE IF NOT EXISTS</c>), in WAL mode. The agent then
/// enables sync on the configured tables when it starts.
/// </summary>
internal static class DatabaseBootstrap
{
    /// <summary>Returns true when the file was created, false when it existed.</summary>
    public static bool Run(string databasePath, string schemaPath)
    {
        if (!File.Exists(schemaPath))
        {
            throw new CliException(ExitCodes.IoError, $"schema script '{schemaPath}' does not exist");
        }

        if (Directory.Exists(databasePath))
        {
            throw new CliException(ExitCodes.IoError, $"'{databasePath}' is a directory, not a database file");
        }

        string script = File.ReadAllText(schemaPath);
        bool created = !File.Exists(databasePath);
        var csb = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        using var connection = new SqliteConnection(csb.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 30000;";
            pragma.ExecuteNonQuery();
        }

        using var transaction = connection.BeginTransaction();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = script;
            try
            {
                command.ExecuteNonQuery();
            }
            catch (SqliteException e)
            {
                throw new CliException(ExitCodes.EdgeSyncError, $"schema script '{schemaPath}' failed: {e.Message}");
            }
        }

        transaction.Commit();
        return created;
    }
}
