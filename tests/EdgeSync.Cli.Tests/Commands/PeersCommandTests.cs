using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary><c>edgesync peers forget</c>: a removed peer is forgotten once, and an unknown one is an error that says where to look.</summary>
public sealed class PeersCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void PeersForget_ForgetsARemovedPeer_AndRefusesAnUnknownOne()
    {
        string path = _dir.File("plant.db");
        using (new AppDatabase(path))
        {
            Assert.Equal(0, CliRunner.Run("init", "--db", path, "--site", "f1/edge-0", "--table", "config=lww").ExitCode);
        }

        using (var db = SyncDatabase.Open(path, cancellationToken: TestContext.Current.CancellationToken))
        {
            db.RecordPeerVector("f1/edge-4", Clocks.VersionVector.From(new Dictionary<string, long> { ["f1/edge-0"] = 0 }), cancellationToken: TestContext.Current.CancellationToken);
            db.Status.MarkSynced("f1/edge-4", cancellationToken: TestContext.Current.CancellationToken); // a replica that was scaled away
        }

        Assert.Contains("f1/edge-4", CliRunner.Run("status", "--db", path).Stdout, StringComparison.Ordinal);
        var forgot = CliRunner.Run("peers", "forget", "--db", path, "--peer", "f1/edge-4");
        Assert.Equal(0, forgot.ExitCode);
        Assert.Contains("forgot peer f1/edge-4", forgot.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("f1/edge-4", CliRunner.Run("status", "--db", path).Stdout, StringComparison.Ordinal);

        var again = CliRunner.Run("peers", "forget", "--db", path, "--peer", "f1/edge-4");
        Assert.Equal(3, again.ExitCode);
        Assert.Contains("no peer 'f1/edge-4' is known", again.Stderr, StringComparison.Ordinal);
    }
}
