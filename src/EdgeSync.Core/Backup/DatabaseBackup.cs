using System.Diagnostics;
using EdgeSync.Errors;
using EdgeSync.Internal;
using EdgeSync.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Backup;

/// <summary>
/// Online backups and restores. A backup is <c>VACUUM INTO</c> from one read snapshot (WAL: writers go on, and it
/// always finishes however busy the database is), checked with <c>PRAGMA integrity_check</c>, marked
/// <c>restore_pending</c>, and renamed into place only when complete. Whoever opens a restored copy continues as the
/// site's next incarnation (see docs/design.md), so it never reissues a sequence number peers already hold.
/// </summary>
public static class DatabaseBackup
{
    /// <summary>Backs up the database at <paramref name="sourcePath"/> to <paramref name="destinationPath"/> (which must not exist).</summary>
    /// <param name="sourcePath">A live EdgeSync database; other processes may keep writing it.</param>
    /// <param name="destinationPath">The backup file to create.</param>
    /// <param name="progress">Receives the fraction done (0–1), estimated from the bytes written so far.</param>
    /// <param name="time">Clock for the recorded backup time.</param>
    /// <param name="cancellationToken">Stops the backup; the partial file is removed.</param>
    public static BackupResult Create(
        string sourcePath, string destinationPath, IProgress<double>? progress = null, TimeProvider? time = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourcePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationPath);
        time ??= TimeProvider.System;
        if (!File.Exists(sourcePath))
        {
            throw new ArgumentValidationException($"database '{sourcePath}' does not exist");
        }

        if (File.Exists(destinationPath))
        {
            throw new ArgumentValidationException($"backup file '{destinationPath}' already exists; choose a new name (backups are never overwritten)");
        }

        string partial = destinationPath + ".partial";
        File.Delete(partial);
        var clock = Stopwatch.StartNew();
        var takenAt = time.GetUtcNow();
        try
        {
            using (var source = Open(sourcePath, SqliteOpenMode.ReadOnly))
            {
                long expected = Math.Max(1, (long)Sql.Scalar(source, "PRAGMA page_count")! * (long)Sql.Scalar(source, "PRAGMA page_size")!);
                using var done = new CancellationTokenSource();
                var reporter = progress is null ? Task.CompletedTask : Task.Run(async () =>
                {
                    while (!done.IsCancellationRequested)
                    {
                        long written = File.Exists(partial) ? new FileInfo(partial).Length : 0;
                        progress.Report(Math.Min(0.99, (double)written / expected));
                        try
                        {
                            await Task.Delay(200, done.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }
                    }
                }, CancellationToken.None);
                using var registration = cancellationToken.Register(() => SQLitePCL.raw.sqlite3_interrupt(source.Handle));
                try
                {
                    Sql.Scalar(source, "VACUUM INTO $p", ("$p", partial));
                }
                finally
                {
                    done.Cancel();
                    reporter.GetAwaiter().GetResult();
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            using (var copy = Open(partial, SqliteOpenMode.ReadWrite))
            {
                Check(copy, partial);
                Sql.Exec(copy, "PRAGMA journal_mode = DELETE");
                MetaTable.MarkBackupCopy(copy, takenAt);
            }

            File.Move(partial, destinationPath);
            progress?.Report(1);
        }
        catch (SqliteException e) when (cancellationToken.IsCancellationRequested)
        {
            File.Delete(partial);
            throw new OperationCanceledException("backup cancelled", e, cancellationToken);
        }
        catch (SqliteException e)
        {
            File.Delete(partial);
            throw new StorageException(sourcePath, e);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }

        using (var live = Open(sourcePath, SqliteOpenMode.ReadWrite))
        {
            MetaTable.RecordBackupTaken(live, takenAt);
        }

        return new BackupResult(destinationPath, new FileInfo(destinationPath).Length, clock.Elapsed, takenAt);
    }

    /// <summary>
    /// Checks <paramref name="backupPath"/> and copies it to <paramref name="databasePath"/>. Stop the agent serving
    /// that database first. An existing database is replaced only with <paramref name="replace"/>; its WAL files go
    /// with it. The restored replica rejoins as the next incarnation of its site and catches up from its peers.
    /// Cancelling <paramref name="cancellationToken"/> during the copy stops it with <see cref="OperationCanceledException"/>,
    /// the partial copy removed and the existing database untouched.
    /// </summary>
    public static void Restore(string backupPath, string databasePath, bool replace = false, IProgress<double>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backupPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        if (!File.Exists(backupPath))
        {
            throw new ArgumentValidationException($"backup file '{backupPath}' does not exist");
        }

        if (File.Exists(databasePath) && !replace)
        {
            throw new ArgumentValidationException(
                $"'{databasePath}' exists; stop the agent that serves it and restore with replace (--force) to overwrite it");
        }

        try
        {
            using var backup = Open(backupPath, SqliteOpenMode.ReadOnly);
            Check(backup, backupPath);
            if (!MetaTable.IsBackupCopy(backup))
            {
                throw new ArgumentValidationException($"'{backupPath}' is not an EdgeSync backup (take one with 'edgesync backup')");
            }
        }
        catch (SqliteException e)
        {
            throw new StorageException(backupPath, e);
        }

        string staging = databasePath + ".restoring";
        try
        {
            using var input = File.OpenRead(backupPath);
            using var output = File.Create(staging);
            var buffer = new byte[1 << 20];
            long total = Math.Max(1, input.Length), copied = 0;
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                output.Write(buffer, 0, n);
                copied += n;
                progress?.Report((double)copied / total);
            }

            output.Flush(flushToDisk: true);
        }
        catch (OperationCanceledException)
        {
            File.Delete(staging);
            throw;
        }

        File.Delete(databasePath + "-wal");
        File.Delete(databasePath + "-shm");
        File.Move(staging, databasePath, overwrite: true);
    }

    private static void Check(SqliteConnection db, string path)
    {
        var result = Sql.Scalar(db, "PRAGMA integrity_check") as string;
        if (result != "ok")
        {
            throw new ArgumentValidationException($"'{path}' failed PRAGMA integrity_check: {result}; it cannot be used");
        }
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 30 }.ToString());
        c.Open();
        return c;
    }
}
