using EdgeSync.Clocks;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.SchemaEvolution;

/// <summary>
/// The agent checks every database's published migrations every couple of seconds. While the database is busy (here an
/// apply, held inside its transaction), the non-waiting check returns at once with nothing run, and runs the migration
/// once the database is free.
/// </summary>
public sealed class BusyMigrationCheckTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WhileAnApplyHoldsTheDatabase_TheCheckReturnsAtOnceWithNothingRun_ThenRunsTheMigrationOnceFree()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = new Replica(_dir.File("a.db"), "a");
        using var b = new Replica(_dir.File("b.db"), "b");
        a.Db.SetSchemaGate(1, ct);
        a.Db.PublishMigration("0001-counters-note", "ALTER TABLE counters ADD COLUMN note TEXT;", gate: 1, ct);
        b.Exec("INSERT INTO settings VALUES ('k', 'v', 'b', 1)");
        b.Db.Capture(ct);
        var batch = b.Db.GetChanges(VersionVector.Empty, ct).Single();

        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var apply = Task.Run(() => a.Db.Apply(batch, "b", _ =>
        {
            inside.Set();
            release.Wait(ct);
        }, ct), ct);
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30), ct), "the apply reached its check");

        try
        {
            // Run off the test thread with a liveness bound: the waiting check would block here until the apply ends.
            var busy = await Task.Run(() => (a.Db.TryApplyPublishedMigrations(out var m, ct), m), ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.False(busy.Item1);
            Assert.Null(busy.m);
            Assert.Equal(0L, a.Scalar("SELECT count(*) FROM pragma_table_info('counters') WHERE name = 'note'"));
        }
        finally
        {
            release.Set();
        }

        await apply.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(a.Db.TryApplyPublishedMigrations(out var migrations, ct));
        Assert.Equal("applied", Assert.Single(migrations).State);
        Assert.Equal(1L, a.Scalar("SELECT count(*) FROM pragma_table_info('counters') WHERE name = 'note'"));
        Assert.Equal(1L, a.Scalar("SELECT count(*) FROM settings"));
    }
}
