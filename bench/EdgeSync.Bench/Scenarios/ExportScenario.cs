using System.Diagnostics;
using System.Globalization;
using EdgeSync.Bench.Internal;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;
using NATS.Client.JetStream;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// HQ's export throughput: a hub agent in this process exports an <c>append</c> table to an R3 stream on a three-node
/// <c>nats-server</c> cluster on loopback, with JetStream acknowledgements. Each run inserts N rows (10,000 per
/// transaction, as <see cref="Workload"/> does) and times from the first insert until the hub's export cursor covers
/// the last row (the cursor moves only after JetStream acknowledged the messages); the same rows inserted into a plain
/// SQLite table in the same run are the baseline. The stream is read back at the end: it must hold every row once.
/// </summary>
internal static class ExportScenario
{
    private const string Site = "hq/bench";
    private const int MaxMessageRows = 5_000;
    private const double Target = 100_000;

    public static ExportReport Run(int rows, int runs) => RunAsync(rows, runs).GetAwaiter().GetResult();

    private static async Task<ExportReport> RunAsync(int rows, int runs)
    {
        using var nats = NatsServers.Start();
        await RunOnceAsync(nats, Math.Min(rows, 50_000), 0).ConfigureAwait(false); // warm-up
        var raw = new List<double>();
        var export = new List<double>();
        var ratios = new List<double>();
        for (int run = 1; run <= runs; run++)
        {
            var (rawRate, exportRate) = await RunOnceAsync(nats, rows, run).ConfigureAwait(false);
            raw.Add(rawRate);
            export.Add(exportRate);
            ratios.Add(exportRate / rawRate);
            Report.Progress($"export run {run}/{runs}: raw {rawRate,12:N0} rows/s  export {exportRate,12:N0} rows/s  ratio {exportRate / rawRate:0.000}");
        }

        return new ExportReport("export", rows, runs, 3, MaxMessageRows,
            Math.Round(Stats.Median(raw)), Math.Round(Stats.Median(export)), Math.Round(Stats.Median(ratios), 3), Target);
    }

    private static async Task<(double Raw, double Export)> RunOnceAsync(NatsServers nats, int rows, int run)
    {
        double rawRate;
        using (var plain = new TempDatabase("export-raw"))
        using (var app = Workload.OpenApp(plain.Path))
        {
            Workload.Exec(app, Workload.CreateTable);
            var sw = Stopwatch.StartNew();
            Workload.Insert(app, 1, rows);
            rawRate = rows / sw.Elapsed.TotalSeconds;
        }

        using var file = new TempDatabase("export-hub");
        using (var app = Workload.OpenApp(file.Path))
        {
            Workload.Exec(app, Workload.CreateTable);
        }

        using (var db = SyncDatabase.Open(file.Path, new SyncDatabaseOptions { SiteId = Site }))
        {
            db.EnableTable("t", TablePolicy.Append);
        }

        string stream = $"BENCH{run}";
        var settings = new Dictionary<string, string?>
        {
            ["EdgeSync:Role"] = "Hub",
            ["EdgeSync:Export:Stream"] = stream,
            ["EdgeSync:Export:SubjectPrefix"] = $"bench{run}",
            ["EdgeSync:Export:Replicas"] = "3",
            ["EdgeSync:Export:Tables:0"] = "t",
            ["EdgeSync:Export:MaxMessageRows"] = MaxMessageRows.ToString(CultureInfo.InvariantCulture),
            ["EdgeSync:Export:LeaseBucket"] = $"bench_lease_{run}",
        };
        for (int i = 0; i < nats.Urls.Count; i++)
        {
            settings[$"EdgeSync:Export:Urls:{i}"] = nats.Urls[i];
        }

        await using var hub = await InProcessAgent.StartAsync(file.Path, Site, [], settings).ConfigureAwait(false);
        using var app2 = Workload.OpenApp(file.Path);
        Workload.Insert(app2, 1, 1); // the export is set up (stream, lease, read-back) once this row is exported
        long start = await WaitForCursorAsync(file.Path, 1, TimeSpan.FromSeconds(60)).ConfigureAwait(false);

        var watch = Stopwatch.StartNew();
        Workload.Insert(app2, 2, rows);
        await WaitForCursorAsync(file.Path, start + rows, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        double exportRate = rows / watch.Elapsed.TotalSeconds;

        long inStream = await CountRowsAsync(nats, stream).ConfigureAwait(false);
        if (inStream != rows + 1)
        {
            throw new BenchmarkFailedException($"the stream holds {inStream} rows, expected {rows + 1}");
        }

        return (rawRate, exportRate);
    }

    /// <summary>Polls the hub's export cursor (plain SQLite read) until it reaches <paramref name="seq"/>; returns it.</summary>
    private static async Task<long> WaitForCursorAsync(string path, long seq, TimeSpan timeout)
    {
        using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=false");
        c.Open();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT coalesce(max(seq), 0) FROM _edgesync_export_cursor WHERE tbl = 't' AND site = $s";
            cmd.Parameters.AddWithValue("$s", Site);
            long at = (long)cmd.ExecuteScalar()!;
            if (at >= seq)
            {
                return at;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new BenchmarkFailedException($"the export reached {at} of {seq} in {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(2).ConfigureAwait(false);
        }
    }

    /// <summary>Rows in the stream: the sum of the messages' <c>EdgeSync-Rows</c> headers, read with an ordered consumer.</summary>
    private static async Task<long> CountRowsAsync(NatsServers nats, string stream)
    {
        await using var connection = nats.Connect();
        var js = new NatsJSContext(connection);
        var s = await js.GetStreamAsync(stream).ConfigureAwait(false);
        ulong last = s.Info.State.LastSeq;
        long total = 0;
        var consumer = await js.CreateOrderedConsumerAsync(stream).ConfigureAwait(false);
        await foreach (var msg in consumer.ConsumeAsync<byte[]>().ConfigureAwait(false))
        {
            total += long.Parse(msg.Headers!["EdgeSync-Rows"].ToString(), CultureInfo.InvariantCulture);
            if (msg.Metadata!.Value.Sequence.Stream >= last)
            {
                break;
            }
        }

        return total;
    }
}
