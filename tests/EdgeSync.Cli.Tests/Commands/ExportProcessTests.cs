using System.Globalization;
using EdgeSync.Agent.Tests.Support;
using EdgeSync.Cli.Tests.Support;

namespace EdgeSync.Cli.Tests.Commands;

/// <summary>
/// Two hub replicas as real <c>edgesync serve</c> processes, each the other's peer, both configured to export to a real
/// three-node JetStream cluster: the one holding the lease is killed with SIGKILL (no clean release), the other takes
/// over once the lease expires, and the stream holds every row exactly once, in order per origin.
/// </summary>
public sealed class ExportProcessTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly AgentProcesses _agents = new();

    public void Dispose()
    {
        _agents.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task ExportingHubKilled_TheOtherHubReplicaTakesOver_EveryRowOnceInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nats = await NatsCluster.StartAsync();
        var env = new Dictionary<string, string>
        {
            ["EdgeSync__Role"] = "Hub",
            ["EdgeSync__Export__Tables__0"] = "telemetry",
            ["EdgeSync__Export__LeaseSeconds"] = "3",
            ["EdgeSync__Export__IdleMs"] = "50",
            ["EdgeSync__Export__MaxMessageRows"] = "40",
            ["EdgeSync__SyncIntervalMs"] = "300",
        };
        for (int i = 0; i < 3; i++)
        {
            env[$"EdgeSync__Export__Urls__{i}"] = nats.Urls[i];
        }

        string[] paths = [_dir.File("hub-0/app.db"), _dir.File("hub-1/app.db")];
        for (int i = 0; i < 2; i++)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(paths[i])!);
            using (new AppDatabase(paths[i]))
            {
            }

            Assert.Equal(0, CliRunner.Run("init", "--db", paths[i], "--site", $"hq/hub-{i}", "--table", "telemetry=append", "--table", "config=lww").ExitCode);
        }

        var a = _agents.Serve(env, "http://127.0.0.1:0", "http://127.0.0.1:0", "--db", paths[0]);
        var b = _agents.Serve(env, "http://127.0.0.1:0", "http://127.0.0.1:0", "--db", paths[1], "--peer", a.Grpc);
        Insert(paths[0], 1, 300);
        await WaitForRowsAsync(nats, 300);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        int holder = -1;
        await Eventually.TrueAsync(async () =>
        {
            bool holdsA = await HoldsAsync(http, a.Http), holdsB = await HoldsAsync(http, b.Http);
            holder = holdsA && !holdsB ? 0 : holdsB && !holdsA ? 1 : -1;
            return holder >= 0;
        }, "exactly one hub replica holds the export lease");

        _agents.Started[holder].Kill(); // SIGKILL: the lease is not released, it expires
        _agents.Started[holder].WaitForExit();
        int survivor = 1 - holder;
        Insert(paths[survivor], 301, 300);

        var stream = await WaitForRowsAsync(nats, 600);
        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i).ToHashSet(), stream.AssertExactlyOnceInOrder("telemetry"));
        Assert.True(await HoldsAsync(http, survivor == 0 ? a.Http : b.Http), "the surviving replica holds the lease");
        _ = ct;
    }

    private static void Insert(string path, int first, int count)
    {
        using var app = new AppDatabase(path);
        for (int i = first; i < first + count; i++)
        {
            app.Exec("INSERT INTO telemetry VALUES ($1, 'plc', $1, 0.5)", i);
        }
    }

    private static async Task<bool> HoldsAsync(HttpClient http, string baseUrl)
    {
        string text = await http.GetStringAsync(new Uri(new Uri(baseUrl), "/metrics"), TestContext.Current.CancellationToken);
        return text.Split('\n').Any(l => l.StartsWith("edgesync_export_lease_holder{", StringComparison.Ordinal)
            && l.Contains("database=\"app\"", StringComparison.Ordinal)
            && double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) == 1);
    }

    private static async Task<ExportReadback> WaitForRowsAsync(NatsCluster nats, int rows)
    {
        ExportReadback? stream = null;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                stream = await ExportReadback.ReadAsync(nats, "EDGESYNC");
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or TimeoutException)
            {
                return false;
            }

            return stream.RowCount("telemetry") >= rows;
        }, $"{rows} rows in the stream", TimeSpan.FromSeconds(90), () => $"{stream?.RowCount("telemetry")} rows");
        await Task.Delay(1_000, TestContext.Current.CancellationToken);
        return await ExportReadback.ReadAsync(nats, "EDGESYNC");
    }
}
