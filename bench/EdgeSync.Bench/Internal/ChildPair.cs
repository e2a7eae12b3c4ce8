using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeSync.Schema;

namespace EdgeSync.Bench.Internal;

/// <summary>
/// Two <c>edgesync serve</c> processes, A and B, hosting the same N databases by name (<c>db-000.db</c>… under
/// <c>a/</c> and <c>b/</c>), each the other's peer, as two replicas of a StatefulSet are. Started by
/// <see cref="StartAsync"/>, which returns once each agent has run a successful round for every database. Disposing
/// kills both processes (by their ids).
/// </summary>
internal sealed class ChildPair : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private ChildPair(ChildAgent a, ChildAgent b, int httpA, int httpB, IReadOnlyList<string> pathsA, IReadOnlyList<string> pathsB)
    {
        A = a;
        B = b;
        HttpA = httpA;
        HttpB = httpB;
        PathsA = pathsA;
        PathsB = pathsB;
    }

    public ChildAgent A { get; }

    public ChildAgent B { get; }

    public int HttpA { get; }

    public int HttpB { get; }

    public IReadOnlyList<string> PathsA { get; }

    public IReadOnlyList<string> PathsB { get; }

    public static async Task<ChildPair> StartAsync(TempDirectory dir, int databases)
    {
        var pathsA = Prepare(dir, "a", SyncRun.SiteA, databases);
        var pathsB = Prepare(dir, "b", SyncRun.SiteB, databases);
        int grpcA = FreePort(), grpcB = FreePort(), httpA = FreePort(), httpB = FreePort();
        var environment = new Dictionary<string, string>();
        var a = ChildAgent.Start(pathsA, SyncRun.SiteA, [Url(grpcB)], Url(grpcA), Url(httpA), environment);
        var b = ChildAgent.Start(pathsB, SyncRun.SiteB, [Url(grpcA)], Url(grpcB), Url(httpB), environment);
        var pair = new ChildPair(a, b, httpA, httpB, pathsA, pathsB);
        try
        {
            var warm = Stopwatch.StartNew();
            var limit = TimeSpan.FromSeconds(60 + databases / 2);
            while (true)
            {
                BenchmarkFailedException.Check(!a.HasExited && !b.HasExited, $"an agent exited:\n{a.Tail()}\n{b.Tail()}");
                var (roundsA, _) = await pair.MetricsAsync(httpA).ConfigureAwait(false);
                var (roundsB, _) = await pair.MetricsAsync(httpB).ConfigureAwait(false);
                if (roundsA >= databases && roundsB >= databases)
                {
                    return pair;
                }

                BenchmarkFailedException.Check(warm.Elapsed < limit,
                    $"after {limit.TotalSeconds:N0} s A has run {roundsA} and B {roundsB} rounds, fewer than {databases} databases:\n{a.Tail()}\n{b.Tail()}");
                await Task.Delay(500).ConfigureAwait(false);
            }
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>Successful rounds this agent ran, and calls it refused for the stream limit, from its /metrics.</summary>
    public async Task<(long Rounds, long Refused)> MetricsAsync(int port)
    {
        string text;
        try
        {
            text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, 0); // not listening yet, or too busy to answer within the client's timeout
        }

        long rounds = 0, refused = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("edgesync_sync_rounds_total{", StringComparison.Ordinal) && line.Contains("result=\"ok\"", StringComparison.Ordinal))
            {
                rounds += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("edgesync_streams_refused_total", StringComparison.Ordinal))
            {
                refused += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return (rounds, refused);
    }

    /// <summary>N databases named <c>db-000.db</c>… under <c>{dir}/{side}</c>: one prepared, the rest copies of it.</summary>
    private static List<string> Prepare(TempDirectory dir, string side, string site, int databases)
    {
        string template = dir.Database(side + "-template");
        Replica.Create(template, site, TablePolicy.Lww);
        string folder = Path.Combine(dir.Path, side);
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        for (int i = 0; i < databases; i++)
        {
            string path = Path.Combine(folder, $"db-{i:D3}.db");
            File.Copy(template, path);
            paths.Add(path);
        }

        return paths;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static string Url(int port) => $"http://127.0.0.1:{port}";

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        _http.Dispose();
    }
}
