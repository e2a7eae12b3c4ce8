using System.Diagnostics;
using System.Globalization;
using EdgeSync.Fault.Tests.Support;

namespace EdgeSync.Fault.Tests;

/// <summary>
/// A full disk while a replica applies its peer's changes, with real processes: replica f1/edge-0's database lives on a
/// 64 MiB tmpfs that a file then fills to the last byte; HQ's application (the <c>sqlite3</c> shell) writes 8 MB of
/// telemetry, which HQ's agent sends to the replica. The apply must fail with the typed disk-full error (logged as a
/// refused batch, counted in <c>edgesync_storage_errors_total{cause="disk_full"}</c> and
/// <c>edgesync_batches_rejected_total{code="StorageFailure"}</c>), leave whole batches only (the replica holds a prefix
/// of HQ's rows, each complete), let the replica's application write or fail cleanly, and once the file is deleted
/// the replica catches up and both hold the same rows in every column.
/// </summary>
public sealed class DiskFullApplyTests : IAsyncDisposable
{
    private const long BulkFirstId = 1_000;
    private const int BulkTransactions = 40;
    private const int RowsPerTransaction = 100;
    private const int BulkRows = BulkTransactions * RowsPerTransaction;
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(120);

    private TempDir? _dir;
    private EdgeFleet? _fleet;
    private string? _mount;
    private bool _passed;

    public async ValueTask DisposeAsync()
    {
        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }

        if (_mount is not null)
        {
            if (!_passed && _dir is not null)
            {
                KeepCopy(_mount, _dir.File("f1-0-kept")); // the tmpfs goes away with the unmount
            }

            Shell.TryRun("umount", "-l", _mount);
        }

        if (!_passed)
        {
            _dir?.Keep();
        }

        _dir?.Dispose();
    }

    [Fact(Timeout = 480_000)]
    public async Task BatchThatDoesNotFit_IsRefusedWhole_WithTheDiskFullError_AndTheReplicaCatchesUpOnceSpaceIsFreed()
    {
        Assert.SkipWhen(FaultPrerequisites.MissingReason is not null, FaultPrerequisites.MissingReason ?? "");
        Assert.SkipWhen(Shell.Which("sqlite3") is null, "needs the sqlite3 shell (apt-get install sqlite3)");
        Assert.SkipWhen(Shell.Which("mount") is null, "needs mount(8) to mount a size-limited tmpfs (apt-get install mount)");
        var ct = TestContext.Current.CancellationToken;
        _dir = new TempDir();
        string mount = EdgeFleet.SiteDirectory(_dir, "f1-0");
        Directory.CreateDirectory(mount);
        Shell.Run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount);
        _mount = mount;
        var fleet = _fleet = await EdgeFleet.StartAsync(_dir, factory1Replicas: 1, factory2Replicas: 0, telemetryUp: false,
            wanLatency: TimeSpan.Zero, wanJitter: TimeSpan.Zero, ct);
        var (hq, a) = (fleet.Hq, fleet.Factory(1)[0]);
        Assert.StartsWith(mount, a.DbPath, StringComparison.Ordinal);

        Sql(hq, "INSERT INTO telemetry(id, device, ts, value) VALUES (1, 'plc-hq', 1, 0.5), (2, 'plc-hq', 2, 1.5);");
        Sql(a, "INSERT INTO config(key, value, updated_by) VALUES ('mode', 'auto', 'app-a'), ('limit', '40', 'app-a');");
        await WaitAsync(fleet, () => Same(hq, a), "HQ and the replica hold the same rows before the disk fills");

        string filler = Path.Combine(mount, "filler.bin");
        long filled = Fill(filler, leave: 1 << 20); // room for a few of HQ's batches, not for all of them
        Report($"filler.bin took {filled / 1024} KiB; {new DriveInfo(mount).AvailableFreeSpace} bytes left on the replica's volume");

        for (int t = 0; t < BulkTransactions; t++)
        {
            long first = BulkFirstId + (t * RowsPerTransaction);
            Sql(hq, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " + (RowsPerTransaction - 1).ToString(CultureInfo.InvariantCulture) + ") "
                + $"INSERT INTO telemetry(id, device, ts, value) SELECT {first} + i, hex(randomblob(1024)), {first} + i, ({first} + i) * 0.25 FROM n;");
        }

        // The replica's agent refuses what does not fit, with the typed error: counted and logged as a refused batch.
        string metrics = "";
        await WaitAsync(fleet, async () =>
        {
            metrics = await a.Http.GetStringAsync($"{a.Agent.Http}/metrics", ct);
            return Sum(metrics, "edgesync_batches_rejected_total", "code=\"StorageFailure\"") > 0
                && Sum(metrics, "edgesync_storage_errors_total", "cause=\"disk_full\"") > 0
                && RefusedForDiskFull(a, hq);
        }, "the replica refuses HQ's batch with the disk-full error (metrics and log)", () => metrics);

        var prefix = HeldPrefix(a, hq, "while the disk is full");
        Assert.True(prefix < BulkRows, $"the replica holds all {BulkRows} rows although its apply failed");
        Assert.Equal("ok", Sql(a, "PRAGMA quick_check;"));

        // The application on the full volume: its write succeeds or fails with SQLite's error, never half-done.
        var (exit, output) = Shell.TryRun("sqlite3", "-cmd", ".timeout 10000", a.DbPath,
            "INSERT INTO config(key, value, updated_by) VALUES ('while-full', 'x', 'app-a');");
        string heldAfter = Sql(a, "SELECT count(*) FROM config WHERE key = 'while-full';");
        Report($"the replica's application wrote while the disk was full: exit {exit} {output.Trim()}");
        Assert.Equal(exit == 0 ? "1" : "0", heldAfter);
        Assert.Equal("ok", Sql(a, "PRAGMA quick_check;"));
        HeldPrefix(a, hq, "after the application's write");

        File.Delete(filler);
        var clock = Stopwatch.StartNew();
        await WaitAsync(fleet, () => Same(hq, a), "the replica catches up with HQ once space is freed, and HQ has the replica's rows",
            () => $"HQ: {Summary(hq)}\nreplica: {Summary(a)}");
        Report($"converged {clock.Elapsed.TotalSeconds:0.0} s after filler.bin was deleted");
        Assert.Equal(BulkRows + 2, long.Parse(Sql(a, "SELECT count(*) FROM telemetry;"), CultureInfo.InvariantCulture));
        Assert.Equal(Dump(hq, "SELECT id, device, ts, value FROM telemetry ORDER BY id;"), Dump(a, "SELECT id, device, ts, value FROM telemetry ORDER BY id;"));
        Assert.Equal("ok", Sql(a, "PRAGMA quick_check;"));
        _passed = true;
    }

    /// <summary>
    /// The replica holds HQ's bulk rows from the first id up to some id, none after a gap, each equal to HQ's in every
    /// column: whole batches only. Returns how many.
    /// </summary>
    private static int HeldPrefix(EdgeSite replica, EdgeSite hq, string when)
    {
        var ids = Sql(replica, $"SELECT id FROM telemetry WHERE id >= {BulkFirstId} ORDER BY id;")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var gap = ids.Select((id, i) => (id, i)).FirstOrDefault(x => x.id != BulkFirstId + x.i);
        Assert.True(gap == default, $"{when}: the replica's rows of HQ are not a prefix: id {gap.id} at position {gap.i}");
        string range = $"SELECT id, device, ts, value FROM telemetry WHERE id >= {BulkFirstId} AND id < {BulkFirstId + ids.Count} ORDER BY id;";
        Assert.True(Dump(replica, range) == Dump(hq, range), $"{when}: the replica's {ids.Count} rows differ from HQ's");
        Report($"{when}: the replica holds the first {ids.Count} of HQ's {BulkRows} rows, each complete");
        return ids.Count;
    }

    private static bool RefusedForDiskFull(EdgeSite replica, EdgeSite from) =>
        replica.Agent.Log().Split('\n').Any(line => line.Contains("\"EventId\":1101", StringComparison.Ordinal)
            && line.Contains("Rejected batch from " + from.Site, StringComparison.Ordinal)
            && line.Contains("(StorageFailure)", StringComparison.Ordinal)
            && line.Contains("the disk is full", StringComparison.Ordinal));

    /// <summary>
    /// Writes zeros to <paramref name="path"/> until the file system refuses more, then gives back <paramref name="leave"/>
    /// bytes; returns the file's size.
    /// </summary>
    private static long Fill(string path, long leave)
    {
        long written = 0;
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (int chunk in new[] { 1 << 20, 1 << 12 })
        {
            var zeros = new byte[chunk];
            try
            {
                while (true)
                {
                    file.Write(zeros);
                    written += chunk;
                }
            }
            catch (IOException)
            {
                file.SetLength(written); // drop a partly written chunk, then try the smaller size
            }
        }

        written = Math.Max(0, written - leave);
        file.SetLength(written);
        return written;
    }

    private static bool Same(EdgeSite hq, EdgeSite replica) =>
        Summary(hq) == Summary(replica) && Dump(hq, "SELECT * FROM config ORDER BY key;") == Dump(replica, "SELECT * FROM config ORDER BY key;");

    private static string Summary(EdgeSite site) =>
        Sql(site, "SELECT count(*), coalesce(sum(id), 0), coalesce(sum(length(device)), 0), total(value) FROM telemetry;");

    private static string Dump(EdgeSite site, string query) => Sql(site, query);

    private static string Sql(EdgeSite site, string sql) =>
        Shell.Run("sqlite3", "-cmd", ".timeout 10000", site.DbPath, sql).Trim();

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels contain <paramref name="label"/>, in Prometheus text.</summary>
    private static double Sum(string metrics, string name, string label) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));

    private static void KeepCopy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "plant.db*"))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    private static Task WaitAsync(EdgeFleet fleet, Func<bool> condition, string what, Func<string>? details = null) =>
        WaitAsync(fleet, () => Task.FromResult(condition()), what, details);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> only when it never does.</summary>
    private static async Task WaitAsync(EdgeFleet fleet, Func<Task<bool>> condition, string what, Func<string>? details = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await Holds(condition))
        {
            if (clock.Elapsed > GiveUpAfter)
            {
                Assert.Fail($"not within {GiveUpAfter.TotalSeconds:0} s: {what}\n{details?.Invoke()}\n{fleet.Tails(40)}");
            }

            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// The condition's answer, or false when a request it makes to an agent fails or times out: an agent busy applying
    /// into a full disk on a loaded machine may answer a scrape late, and the next poll asks again.
    /// </summary>
    private static async Task<bool> Holds(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !TestContext.Current.CancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private static void Report(string line) => TestContext.Current.SendDiagnosticMessage(line);
}
