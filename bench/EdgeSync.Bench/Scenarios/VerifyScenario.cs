using System.Diagnostics;
using EdgeSync.Agent;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;
using EdgeSync.Verify;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// The cost of anti-entropy: two replicas of an N-row <c>lww</c> table, built independently with the same rows; B is
/// served by an agent in this process. Measured: comparing A with the agent (<see cref="PeerVerify.CompareAsync"/>)
/// while the replicas agree, and after 10 rows of B changed behind EdgeSync's back, seconds and bytes received from
/// the agent; both checked (identical, then exactly the 10 changed rows named). Baseline: a plain read of both files.
/// </summary>
internal static class VerifyScenario
{
    public const int ChangedRows = 10;

    public static VerifyReport Run(int rows, int runs) => RunAsync(rows, runs).GetAwaiter().GetResult();

    private static async Task<VerifyReport> RunAsync(int rows, int runs)
    {
        BenchmarkFailedException.Check(rows >= ChangedRows * 100, $"--rows must be at least {ChangedRows * 100}");
        using var dir = new TempDirectory("verify");
        string pathA = dir.Database("a"), pathB = dir.Database("b");
        var clock = Stopwatch.StartNew();
        foreach (var (path, site) in new[] { (pathA, SyncRun.SiteA), (pathB, SyncRun.SiteB) })
        {
            Replica.Create(path, site, TablePolicy.Lww);
            using var app = Workload.OpenApp(path);
            Fill(app, rows);
        }

        double buildSeconds = clock.Elapsed.TotalSeconds;
        Report.Progress($"verify: built two replicas of {rows:N0} rows in {buildSeconds:N1} s");

        await using var agentB = await InProcessAgent.StartAsync(pathB, SyncRun.SiteB, [],
            new Dictionary<string, string?> { ["EdgeSync:DivergenceCheckMinutes"] = "0" }).ConfigureAwait(false);
        var raw = new List<double>();
        var agree = new List<(double Seconds, long Bytes)>();
        for (int run = -1; run < runs; run++) // one unreported run: JIT, page cache
        {
            raw.Add(RawScan(pathA) + RawScan(pathB));
            var (comparison, bytes, seconds) = await CompareAsync(pathA, agentB.GrpcUrl).ConfigureAwait(false);
            BenchmarkFailedException.Check(comparison.Identical, $"replicas with equal rows compared as different: {string.Join("; ", comparison.Describe())}");
            if (run >= 0)
            {
                agree.Add((seconds, bytes));
                Report.Progress($"verify agree {run + 1}/{runs}: {seconds:N2} s, {bytes:N0} bytes");
            }
        }

        var changed = ChangeBehindEdgeSyncsBack(pathB, rows);
        var differ = new List<(double Seconds, long Bytes)>();
        int found = 0;
        for (int run = 0; run < runs; run++)
        {
            var (comparison, bytes, seconds) = await CompareAsync(pathA, agentB.GrpcUrl).ConfigureAwait(false);
            var keys = comparison.Tables.SelectMany(t => t.Rows).Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
            BenchmarkFailedException.Check(keys.SetEquals(changed.Select(id => $"id={id}")) && comparison.DifferingRows == ChangedRows,
                $"expected the {ChangedRows} changed rows, found {comparison.DifferingRows}: {string.Join(", ", keys.Take(20))}");
            found = keys.Count;
            differ.Add((seconds, bytes));
            Report.Progress($"verify differ {run + 1}/{runs}: {seconds:N2} s, {bytes:N0} bytes");
        }

        double rawMedian = Stats.Median(raw.Skip(1));
        double agreeSeconds = Stats.Median(agree.Select(m => m.Seconds));
        double differSeconds = Stats.Median(differ.Select(m => m.Seconds));
        return new VerifyReport("verify", rows, ReplicaDigest.DefaultBucketCount, runs,
            Math.Round(agreeSeconds, 2), (long)Stats.Median(agree.Select(m => (double)m.Bytes)),
            Math.Round(differSeconds, 2), (long)Stats.Median(differ.Select(m => (double)m.Bytes)), found,
            Math.Round(rawMedian, 2), Math.Round(agreeSeconds / rawMedian, 2), Math.Round(differSeconds / rawMedian, 2), Math.Round(buildSeconds, 1));
    }

    private static async Task<(DigestComparison Comparison, long Bytes, double Seconds)> CompareAsync(string pathA, string url)
    {
        long start = Stopwatch.GetTimestamp();
        var (comparison, bytes) = await PeerVerify.CompareAsync(pathA, url, "a", "b").ConfigureAwait(false);
        return (comparison, bytes, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>Every row, in one transaction: the same content on both replicas whatever their site.</summary>
    private static void Fill(SqliteConnection app, int rows) => GrowthScenario.InsertOneTransaction(app, rows);

    /// <summary>Changes <see cref="ChangedRows"/> rows of B with its capture triggers out of the way (so no sync repairs them).</summary>
    private static List<long> ChangeBehindEdgeSyncsBack(string path, int rows)
    {
        var random = new Random(42);
        var ids = new HashSet<long>();
        while (ids.Count < ChangedRows)
        {
            ids.Add(random.NextInt64(1, rows + 1));
        }

        using var app = Workload.OpenApp(path);
        using var tx = app.BeginTransaction();
        using var cmd = app.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 't'";
        var triggers = new List<string>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                triggers.Add(r.GetString(0));
            }
        }

        foreach (var t in triggers)
        {
            cmd.CommandText = $"DROP TRIGGER \"{t}\"";
            cmd.ExecuteNonQuery();
        }

        foreach (long id in ids)
        {
            cmd.CommandText = $"UPDATE t SET value = -value WHERE id = {id}";
            BenchmarkFailedException.Check(cmd.ExecuteNonQuery() == 1, $"UPDATE of id {id} changed no row");
        }

        tx.Commit();
        return [.. ids];
    }

    /// <summary>Seconds to read every column of every row of the table with plain SQLite: the reads any comparison needs.</summary>
    private static double RawScan(string path)
    {
        long start = Stopwatch.GetTimestamp();
        using var c = Workload.OpenApp(path);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, device, ts, value FROM t";
        using var r = cmd.ExecuteReader();
        long sum = 0;
        while (r.Read())
        {
            sum += r.GetInt64(0) + r.GetString(1).Length + r.GetInt64(2) + (long)r.GetDouble(3);
        }

        BenchmarkFailedException.Check(sum != 0, "the raw scan read nothing");
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
