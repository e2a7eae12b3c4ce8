using EdgeSync.Schema;
using EdgeSync.Tests.Support;

namespace EdgeSync.Tests.Engine;

/// <summary>
/// <see cref="SyncDatabase.Tables"/> does not wait for the writer while the tables are as last read (issue 12: an
/// application's ingest reads it at every request, and in a busy fleet each request queued behind an apply for it), and
/// never answers with a list older than a table enabled since.
/// </summary>
public sealed class PublishedTablesTests : IDisposable
{
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(30); // a bound for "returns", not a latency target

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WhileThisDatabaseCommits_ReturnsWithoutWaiting()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        var before = a.Db.Tables.Select(t => t.Name).ToList();
        IReadOnlyList<TableInfo>? seen = null;
        bool returned = false;
        a.Db.ObserveCommits(_ =>
        {
            if (seen is null)
            {
                var reader = new Thread(() => seen = a.Db.Tables); // this database's lock is held meanwhile
                reader.Start();
                returned = reader.Join(Liveness);
            }
        });
        a.Exec("INSERT INTO readings VALUES (1, 'a', 1, 1.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Db.ObserveCommits(null);

        Assert.True(returned);
        Assert.Equal(before, seen!.Select(t => t.Name));
    }

    [Fact]
    public void AfterATableIsEnabled_ListsIt_EvenWhileBusy()
    {
        using var a = new Replica(_dir.File("a.db"), "a");
        var before = a.Db.Tables.Select(t => t.Name).ToList(); // read once: the list the busy path may answer with
        a.Exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)");
        a.Db.EnableTable("notes", TablePolicy.Lww, TestContext.Current.CancellationToken);
        IReadOnlyList<TableInfo>? seen = null;
        Thread? reader = null;
        a.Db.ObserveCommits(_ =>
        {
            if (reader is null)
            {
                reader = new Thread(() => seen = a.Db.Tables); // waits for the lock: the list it last read is out of date
                reader.Start();
            }
        });
        a.Exec("INSERT INTO readings VALUES (1, 'a', 1, 1.0)");
        a.Db.Capture(TestContext.Current.CancellationToken);
        a.Db.ObserveCommits(null);

        Assert.True(reader!.Join(Liveness));
        Assert.Equal(before.Append("notes").Order(StringComparer.Ordinal), seen!.Select(t => t.Name));
    }
}
