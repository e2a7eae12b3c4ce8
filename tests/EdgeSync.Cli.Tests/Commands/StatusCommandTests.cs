using System.Globalization;
using System.Text.Json;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

public sealed class StatusCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Status_AfterInit_ShowsSiteVectorAndTables()
    {
        using var app = new AppDatabase(_dir.File("a.db"));
        app.Exec("INSERT INTO telemetry VALUES (1, 'd1', 100, 1.5), (2, 'd1', 200, 2.5)");
        CliRunner.Run("init", "--db", app.Path, "--site", "factory-001/sqlite-edge-0", "--table", "telemetry=append", "--table", "config=lww");
        CliRunner.Run("sync", "--db", app.Path, "--with", Initialised("b.db", "factory-001/sqlite-edge-1")); // seals the two rows

        var result = CliRunner.Run("status", "--db", app.Path);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("site      factory-001/sqlite-edge-0", result.StdoutLines);
        Assert.Contains("vector    factory-001/sqlite-edge-0:2", result.StdoutLines);
        Assert.Contains("tables    config (lww, trigger, schema v1), telemetry (append, rowid-scan, schema v1)", result.StdoutLines);
    }

    [Fact]
    public void Status_BeforeAnySync_SaysNoPeers()
    {
        using var app = new AppDatabase(_dir.File("a.db"));
        CliRunner.Run("init", "--db", app.Path, "--site", "site-a", "--table", "config=lww");

        var result = CliRunner.Run("status", "--db", app.Path);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("peers     (no sync yet)", result.StdoutLines);
    }

    [Fact]
    public void StatusJson_AfterSync_ListsClusterSyncRowsWithIsoTimes()
    {
        using var a = new AppDatabase(_dir.File("a.db"));
        using var b = new AppDatabase(_dir.File("b.db"));
        a.Exec("INSERT INTO config VALUES ('mode', 'auto', 'a')");
        b.Exec("INSERT INTO telemetry VALUES (7, 'd7', 700, 7.5)");
        CliRunner.Run("init", "--db", a.Path, "--site", "site-a", "--table", "telemetry=append", "--table", "config=lww");
        CliRunner.Run("init", "--db", b.Path, "--site", "site-b", "--table", "telemetry=append", "--table", "config=lww");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("sync", "--db", a.Path, "--with", b.Path).ExitCode);

        var result = CliRunner.Run("status", "--db", a.Path, "--json");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal("site-a", root.GetProperty("siteId").GetString());
        Assert.Equal(1, root.GetProperty("vector").GetProperty("site-a").GetInt64());
        Assert.Equal(1, root.GetProperty("vector").GetProperty("site-b").GetInt64());
        Assert.Equal(["config", "telemetry"], root.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        var peers = root.GetProperty("peers").EnumerateArray().ToList();
        Assert.NotEmpty(peers);
        foreach (var peer in peers)
        {
            Assert.Equal("site-b", peer.GetProperty("peer").GetString());
            Assert.Equal("ok", peer.GetProperty("state").GetString());
            var at = DateTimeOffset.ParseExact(peer.GetProperty("lastSyncTime").GetString()!, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'",
                CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.InRange(at, before, DateTimeOffset.UtcNow.AddSeconds(1));
        }
    }

    [Fact]
    public void Status_ShowsPerAcknowledgementLevel_HowManyOwnChangesAreNotHeldThereYet()
    {
        using var app = new AppDatabase(_dir.File("a.db"));
        CliRunner.Run("init", "--db", app.Path, "--site", "factory-001/edge-0", "--table", "config=lww");
        app.Exec("INSERT INTO config VALUES ('mode', 'auto', 'a'), ('speed', '10', 'a')");
        CliRunner.Run("sync", "--db", app.Path, "--with", Initialised("b.db", "factory-001/edge-1")); // another replica of the factory

        var afterReplica = CliRunner.Run("status", "--db", app.Path);
        CliRunner.Run("sync", "--db", app.Path, "--with", Initialised("hq.db", "hq/hub-0")); // a site of another cluster: a hub
        var afterHub = CliRunner.Run("status", "--db", app.Path, "--json");

        Assert.Equal(["replicas:1  0", "hub         2"], afterReplica.StdoutLines.SkipWhile(l => !l.StartsWith("acknowledged", StringComparison.Ordinal)).Skip(2).Take(2));
        using var json = JsonDocument.Parse(afterHub.Stdout);
        var acknowledged = json.RootElement.GetProperty("acknowledged");
        Assert.Equal(0, acknowledged.GetProperty("replicas:1").GetInt64());
        Assert.Equal(0, acknowledged.GetProperty("hub").GetInt64());
    }

    [Fact]
    public void Status_DatabaseNotInitialised_ExitsWithEdgeSyncErrorAndSaysRunInit()
    {
        using var app = new AppDatabase(_dir.File("plain.db"));

        var result = CliRunner.Run("status", "--db", app.Path);

        Assert.Equal(ExitCodes.EdgeSyncError, result.ExitCode);
        Assert.Contains("is not set up for EdgeSync yet; run 'edgesync init", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0L, app.Scalar("SELECT count(*) FROM sqlite_master WHERE name LIKE '_edgesync%'"));
    }

    private string Initialised(string file, string site)
    {
        using var app = new AppDatabase(_dir.File(file));
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("init", "--db", app.Path, "--site", site, "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        return app.Path;
    }
}
