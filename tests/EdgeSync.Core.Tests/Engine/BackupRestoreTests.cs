using EdgeSync.Backup;
using EdgeSync.Errors;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

public sealed class BackupRestoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Backup_WhileAnotherProcessKeepsWriting_CompletesWithAConsistentSnapshot()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        a.Exec("BEGIN");
        for (int i = 1; i <= 20_000; i++)
        {
            a.Exec("INSERT INTO readings VALUES ($1, 'd', $1, 0.5)", (long)i);
        }

        a.Exec("COMMIT");
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            using var w = new Replica(a.Path, "a", enable: false);
            long id = 1_000_000;
            while (!stop.IsCancellationRequested)
            {
                w.Exec("INSERT INTO readings VALUES ($1, 'w', $1, 1.0)", id++);
            }

            return id - 1_000_000;
        }, TestContext.Current.CancellationToken);
        var fractions = new List<double>();
        var result = a.Db.Backup(_dir.File("a.backup"), new SyncProgress(fractions.Add), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        long written = await writer;

        Assert.True(written > 0);
        Assert.Equal(1.0, fractions[^1]);
        Assert.True(result.Bytes > 0);
        Assert.NotNull(a.Db.Status.LastBackupAt);
        using var copy = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={result.Path};Mode=ReadOnly;Pooling=false");
        copy.Open();
        using var cmd = copy.CreateCommand();
        cmd.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", cmd.ExecuteScalar());
        cmd.CommandText = "SELECT count(*) FROM readings WHERE id <= 20000";
        Assert.Equal(20_000L, cmd.ExecuteScalar());
        var e = Assert.Throws<ArgumentValidationException>(() => a.Db.Backup(result.Path, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RestoredReplica_RejoinsAsANewIncarnation_NeverReissuesSequences_AndCatchesUp()
    {
        string path = _dir.File("a.db"), backup = _dir.File("a.backup");
        using var b = new Replica(_dir.File("b.db"), "b");
        using (var a = new Replica(path, "a"))
        {
            a.Exec("INSERT INTO settings VALUES ('k1', 'v1', 'a', 1), ('k2', 'v2', 'a', 1)");
            b.PullFrom(a);
            a.Db.Backup(backup, cancellationToken: TestContext.Current.CancellationToken);
            // After the backup point: a writes more, deletes k2, and b receives it all; then a's disk is lost.
            a.Exec("INSERT INTO settings VALUES ('k3', 'v3', 'a', 1)");
            a.Exec("DELETE FROM settings WHERE key = 'k2'");
            b.PullFrom(a);
        }

        long issuedBeforeLoss = b.Db.Vector["a"];
        DatabaseBackup.Restore(backup, path, replace: true, cancellationToken: TestContext.Current.CancellationToken);
        using var restored = new Replica(path, "a", enable: false);
        Assert.StartsWith("a~", restored.Db.SiteId, StringComparison.Ordinal);
        Assert.True(restored.Db.Vector["a"] < issuedBeforeLoss);

        restored.PullFrom(b);   // catches up on its own lost writes, and the delete: nothing resurrected
        Assert.Equal(issuedBeforeLoss, restored.Db.Vector["a"]);
        Assert.Null(restored.Scalar("SELECT value FROM settings WHERE key = 'k2'"));
        Assert.Equal("v3", restored.Scalar("SELECT value FROM settings WHERE key = 'k3'"));

        restored.Exec("INSERT INTO settings VALUES ('k4', 'v4', 'a', 1)");
        b.PullFrom(restored);
        Assert.Equal(issuedBeforeLoss, b.Db.Vector["a"]);   // the old incarnation's numbers were never reused
        Assert.Equal(1, b.Db.Vector[restored.Db.SiteId]);
        Assert.Equal("v4", b.Scalar("SELECT value FROM settings WHERE key = 'k4'"));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), restored.Db.Checksum(TestContext.Current.CancellationToken));
        Assert.Empty(b.Db.Status.GetConflicts());
    }

    [Fact]
    public void EmptyReplacementVolume_UnderTheSameSiteId_BecomesTheNextIncarnation_AndLosesNothing()
    {
        using var b = new Replica(_dir.File("b.db"), "b");
        using (var a = new Replica(_dir.File("a-old.db"), "a"))
        {
            a.Exec("INSERT INTO settings VALUES ('k1', 'v1', 'a', 1), ('k2', 'v2', 'a', 1)");
            a.Exec("INSERT INTO readings VALUES (1, 'd', 1, 1.0), (2, 'd', 2, 2.0)");
            b.PullFrom(a);
        }

        // The volume is replaced by an empty one; the pod starts under the same site id and writes at once.
        using var fresh = new Replica(_dir.File("a-new.db"), "a");
        fresh.Exec("INSERT INTO settings VALUES ('k3', 'written after the loss', 'a', 1)");
        fresh.Exec("INSERT INTO readings VALUES (3, 'd', 3, 3.0)");
        fresh.Db.Capture(TestContext.Current.CancellationToken);
        Assert.True(fresh.Db.Vector["a"] <= b.Db.Vector["a"]); // its sequence numbers collide with ones b holds

        b.PullFrom(fresh);   // b's vector shows a's lost changes: the fresh database continues as a~N before extracting
        Assert.StartsWith("a~", fresh.Db.SiteId, StringComparison.Ordinal);
        fresh.PullFrom(b);   // and gets the original incarnation's changes back

        Assert.Equal("written after the loss", b.Scalar("SELECT value FROM settings WHERE key = 'k3'"));
        Assert.Equal(3L, b.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal("v1", fresh.Scalar("SELECT value FROM settings WHERE key = 'k1'"));
        Assert.Equal(3L, fresh.Scalar("SELECT count(*) FROM readings"));
        Assert.Equal(b.Db.Checksum(TestContext.Current.CancellationToken), fresh.Db.Checksum(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Restore_RefusesACorruptOrForeignFile_AndAnExistingDatabaseWithoutReplace()
    {
        using (var a = new Replica(_dir.File("a.db"), "a"))
        {
            a.Db.Backup(_dir.File("good.backup"), cancellationToken: TestContext.Current.CancellationToken);
        }

        var exists = Assert.Throws<ArgumentValidationException>(() => DatabaseBackup.Restore(_dir.File("good.backup"), _dir.File("a.db"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("exists", exists.Message, StringComparison.Ordinal);

        using (var plain = new Replica(_dir.File("plain.db"), "p", enable: false))
        {
            plain.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
        }

        var foreign = Assert.Throws<ArgumentValidationException>(() => DatabaseBackup.Restore(_dir.File("plain.db"), _dir.File("new.db"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("not an EdgeSync backup", foreign.Message, StringComparison.Ordinal);

        var bytes = File.ReadAllBytes(_dir.File("good.backup"));
        for (int i = 4096; i < bytes.Length; i += 97)
        {
            bytes[i] ^= 0x5A;
        }

        File.WriteAllBytes(_dir.File("bad.backup"), bytes);
        var corrupt = Assert.ThrowsAny<EdgeSyncException>(() => DatabaseBackup.Restore(_dir.File("bad.backup"), _dir.File("new.db"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.False(File.Exists(_dir.File("new.db")));
        Assert.True(corrupt is ArgumentValidationException or StorageException);
    }

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value)
        {
            lock (this)
            {
                report(value);
            }
        }
    }
}
