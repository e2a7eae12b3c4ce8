using System.Text.Json;
using EdgeSync.Cli.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary><c>edgesync status</c> shows pushes a hub refused (as the agent records them in the file) until they are cleared.</summary>
public sealed class StatusRejectionTests : IDisposable
{
    private const string Detail =
        "batch from 'f1/edge-0' refused by the hub's rule 'owner', nothing of it applied: owner: table 'assets' row ('a3'): cluster_id is 'f2', not the sender's cluster 'f1'";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Factory()
    {
        using var app = new AppDatabase(_dir.File("f1.db"));
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("init", "--db", app.Path, "--site", "f1/edge-0", "--table", "config=lww").ExitCode);
        return app.Path;
    }

    [Fact]
    public void Status_ShowsTheRefusedPushPerPeer_UntilItIsCleared()
    {
        var path = Factory();
        using (var db = SyncDatabase.Open(path, cancellationToken: TestContext.Current.CancellationToken))
        {
            db.Status.RecordRejection("hq/hub", "owner", Detail, cancellationToken: TestContext.Current.CancellationToken);
        }

        var text = CliRunner.Run("status", "--db", path);
        Assert.Equal(ExitCodes.Ok, text.ExitCode);
        Assert.Contains(text.StdoutLines, l => l.StartsWith("rejected", StringComparison.Ordinal));
        var line = Assert.Single(text.StdoutLines, l => l.StartsWith("hq/hub", StringComparison.Ordinal));
        Assert.Contains("owner", line, StringComparison.Ordinal);
        Assert.Contains("row ('a3')", line, StringComparison.Ordinal);
        Assert.Matches(@"\d{4}-\d\d-\d\dT", line);

        var json = CliRunner.Run("status", "--db", path, "--json");
        using (var doc = JsonDocument.Parse(json.Stdout))
        {
            var r = Assert.Single(doc.RootElement.GetProperty("rejections").EnumerateArray());
            Assert.Equal("hq/hub", r.GetProperty("peer").GetString());
            Assert.Equal("owner", r.GetProperty("rule").GetString());
            Assert.Equal(Detail, r.GetProperty("detail").GetString());
        }

        using (var db = SyncDatabase.Open(path, cancellationToken: TestContext.Current.CancellationToken))
        {
            db.Status.ClearRejection("hq/hub", cancellationToken: TestContext.Current.CancellationToken);
        }

        var after = CliRunner.Run("status", "--db", path);
        Assert.DoesNotContain(after.StdoutLines, l => l.StartsWith("rejected", StringComparison.Ordinal) || l.StartsWith("hq/hub", StringComparison.Ordinal));
    }

    [Fact]
    public void Status_OnADatabaseFromBeforeRejectionsWereRecorded_AddsTheTableAndShowsNone()
    {
        var path = Factory();
        using (var c = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "DROP TABLE _edgesync_rejections";
            cmd.ExecuteNonQuery();
        }

        var json = CliRunner.Run("status", "--db", path, "--json");

        Assert.Equal(ExitCodes.Ok, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Empty(doc.RootElement.GetProperty("rejections").EnumerateArray());
    }
}
