using System.Text.Json;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// A write the application made since the last sync, when the peer's change arrives (simulation seeds 5473 and 4251,
/// docs/guarantees.md), with real processes: the <c>sqlite3</c> shell is the application, <c>edgesync sync --with</c>
/// syncs, and the peer's process runs a minute ahead under Debian's <c>faketime</c>, so its write is stamped after the
/// pending one, which the apply seals first and then loses in the same transaction. <c>edgesync conflicts</c> shows the
/// pending write's loss when the peer brought another value, and nothing when it brought the same one; the value it
/// overwrote was the same replica's own, in no audit.
/// </summary>
public sealed class PendingWriteProcessTests : IDisposable
{
    private const string Items = "CREATE TABLE IF NOT EXISTS items(tenant TEXT NOT NULL, code INTEGER NOT NULL, name TEXT, qty INTEGER, PRIMARY KEY(tenant, code)) WITHOUT ROWID;";
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void PendingWriteLosingToALaterPeerWrite_IsInTheConflictsUnlessTheValuesAreEqual(int peerQty)
    {
        var faketime = Sqlite3Shell.OnPath("faketime");
        Sqlite3Shell.Require();
        Assert.SkipWhen(faketime is null, "needs Debian's faketime (libfaketime): apt-get install faketime");
        Assert.SkipUnless(File.Exists(ProcessRunner.Edgesync), $"the edgesync executable is not next to the tests ({ProcessRunner.Edgesync})");

        // b and a, each with a bystander (bb, ab) to sync with, so that a's write and b's first one are sealed apart.
        var db = new Dictionary<string, string>();
        foreach (string site in new[] { "a", "b", "ab", "bb" })
        {
            db[site] = _dir.File(site + ".db");
            using (new AppDatabase(db[site], Items))
            {
            }

            Assert.Equal(0, CliRunner.Run("init", "--db", db[site], "--site", site, "--table", "items=lww").ExitCode);
        }

        Sqlite3Shell.Sql(db["b"], "INSERT INTO items VALUES ('t1', 1, 'n', 3);");
        Assert.Equal(0, Sync(null, "b", "bb")); // b's 3 is sealed
        Sqlite3Shell.Sql(db["b"], "UPDATE items SET qty = qty + 1 WHERE tenant = 't1' AND code = 1;"); // 4, not synced yet
        Sqlite3Shell.Sql(db["a"], $"INSERT OR REPLACE INTO items VALUES ('t1', 1, 'n', {peerQty});");
        Assert.Equal(0, Sync(faketime, "a", "ab")); // a's value is sealed a minute ahead: a never saw b's 3
        Assert.Equal(0, Sync(null, "b", "a")); // b's apply seals its 4, then a's later value replaces it

        foreach (string site in new[] { "a", "b" })
        {
            Assert.Equal(peerQty.ToString(System.Globalization.CultureInfo.InvariantCulture), Sqlite3Shell.Sql(db[site], "SELECT qty FROM items;"));
        }

        var onB = Losses(db["b"]);
        Assert.Empty(Losses(db["a"]));
        if (peerQty == 4)
        {
            Assert.Empty(onB); // 4 against 4: no conflict
        }
        else
        {
            var loss = Assert.Single(onB);
            Assert.Equal((4, "b", 5, "a"), (loss.Loser.Value.GetInt32(), loss.Loser.Site, loss.Winner.Value.GetInt32(), loss.Winner.Site));
        }
    }

    /// <summary>One <c>edgesync sync</c> of <paramref name="site"/> with <paramref name="other"/>, under <c>faketime -f +60s</c> when given.</summary>
    private int Sync(string? faketime, string site, string other)
    {
        string[] args = ["sync", "--db", _dir.File(site + ".db"), "--with", _dir.File(other + ".db")];
        return faketime is null ? ProcessRunner.Run(ProcessRunner.Edgesync, args).ExitCode : ProcessRunner.Run(faketime, ["-f", "+60s", ProcessRunner.Edgesync, .. args]).ExitCode;
    }

    /// <summary>The <c>qty</c> losses in <c>edgesync conflicts --json</c>.</summary>
    private static List<Conflict> Losses(string db)
    {
        var result = ProcessRunner.Run(ProcessRunner.Edgesync, "conflicts", "--db", db, "--json");
        Assert.Equal(0, result.ExitCode);
        var all = JsonSerializer.Deserialize<List<Conflict>>(result.Stdout, Web)!;
        return all.Where(c => c.Column == "qty").ToList();
    }

    private sealed record Conflict(string Column, Side Winner, Side Loser);

    private sealed record Side(JsonElement Value, string Site);
}
