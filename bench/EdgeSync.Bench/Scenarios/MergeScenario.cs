using System.Diagnostics;
using EdgeSync.Bench.Internal;
using EdgeSync.Protocol;
using EdgeSync.Schema;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// What merging a peer's changes costs: replicas A and B start with the same rows (A inserted them, B pulled them);
/// A then updates every one of them (one or two columns each) and inserts as many new rows; B applies all of it.
/// Both replicas use WAL and synchronous=NORMAL. Each timed phase starts after a full collection (<see cref="Settle"/>).
/// </summary>
internal static class MergeScenario
{
    private const string SiteA = "site-a";
    private const string SiteB = "site-b";
    private const string Timed = "apply";

    private sealed record Measurement(int Changes, int Batches, long Bytes, double SealMs, double ExtractMs, double EncodeMs, double DecodeMs, double ApplyMs);

    public static MergeReport Run(int changes, int runs)
    {
        int updates = changes / 2;
        int inserts = changes - updates;
        RunOnce(Math.Min(updates, 2_000), Math.Min(inserts, 2_000)); // JIT and page cache; not reported

        var results = new List<Measurement>();
        for (int run = 0; run < runs; run++)
        {
            var m = RunOnce(updates, inserts);
            results.Add(m);
            Report.Progress($"merge run {run + 1}/{runs}: apply {m.ApplyMs,8:N0} ms for {m.Changes:N0} changes in {m.Batches} batches "
                + $"(seal {m.SealMs:N0} ms, extract {m.ExtractMs:N0} ms, encode {m.EncodeMs:N0} ms, decode {m.DecodeMs:N0} ms)");
        }

        double Ms(Func<Measurement, double> f) => Math.Round(Stats.Median(results.Select(f)), 1);
        double seconds = Stats.Median(results.Select(m => m.ApplyMs)) / 1000;
        return new MergeReport(
            "merge", changes, Math.Round(seconds, 3), Math.Round(changes / seconds), runs, Timed, updates, inserts,
            results[0].Batches, results[0].Bytes,
            Ms(m => m.SealMs), Ms(m => m.ExtractMs), Ms(m => m.EncodeMs), Ms(m => m.DecodeMs));
    }

    private static Measurement RunOnce(int updates, int inserts)
    {
        int changes = updates + inserts;
        using var fileA = new TempDatabase("merge-a");
        using var fileB = new TempDatabase("merge-b");
        using var appA = Workload.OpenApp(fileA.Path);
        Workload.Exec(appA, Workload.CreateTable);
        using (var appB = Workload.OpenApp(fileB.Path))
        {
            Workload.Exec(appB, Workload.CreateTable);
        }

        using var a = SyncDatabase.Open(fileA.Path, new SyncDatabaseOptions { SiteId = SiteA });
        using var b = SyncDatabase.Open(fileB.Path, new SyncDatabaseOptions { SiteId = SiteB });
        a.EnableTable("t", TablePolicy.Lww);
        b.EnableTable("t", TablePolicy.Lww);

        // Common starting point: A inserts, B pulls everything, both hold the same rows.
        Workload.Insert(appA, 1, updates);
        a.Capture();
        foreach (var batch in a.GetChanges(b.Vector))
        {
            b.Apply(batch, SiteA);
        }

        BenchmarkFailedException.Check(a.Checksum() == b.Checksum(), "A and B differ after the initial sync");

        // A's new work: every existing row updated, as many new rows inserted.
        Workload.Update(appA, 1, updates);
        Workload.Insert(appA, updates + 1, inserts);
        Settle();
        var clock = Stopwatch.StartNew();
        a.Capture();
        double sealMs = clock.Elapsed.TotalMilliseconds;

        Settle();
        clock.Restart();
        var batches = a.GetChanges(b.Vector).ToList();
        double extractMs = clock.Elapsed.TotalMilliseconds;
        int rowCount = batches.Sum(x => x.RowCount);
        BenchmarkFailedException.Check(rowCount == changes, $"A extracted {rowCount} row changes for B, expected {changes}");

        Settle();
        clock.Restart();
        var wire = batches.Select(b => BatchCodec.Encode(b)).ToList();
        double encodeMs = clock.Elapsed.TotalMilliseconds;
        Settle();
        clock.Restart();
        var decoded = wire.Select(bytes => BatchCodec.Decode(bytes)).ToList();
        double decodeMs = clock.Elapsed.TotalMilliseconds;

        int applied = 0;
        int conflicts = 0;
        Settle();
        clock.Restart();
        foreach (var batch in decoded)
        {
            var result = b.Apply(batch, SiteA);
            applied += result.Applied;
            conflicts += result.Conflicts;
        }

        double applyMs = clock.Elapsed.TotalMilliseconds;

        BenchmarkFailedException.Check(applied == changes, $"B applied {applied} of {changes} row changes");
        BenchmarkFailedException.Check(conflicts == 0, $"B recorded {conflicts} conflicts; B made no writes of its own");
        string sumA = a.Checksum();
        string sumB = b.Checksum();
        BenchmarkFailedException.Check(sumA == sumB, $"checksums differ after merge: A {sumA}, B {sumB}");
        long rowsA = Workload.Scalar(appA, "SELECT count(*) FROM t");
        BenchmarkFailedException.Check(rowsA == changes, $"A holds {rowsA} rows, expected {changes}");
        BenchmarkFailedException.Check(b.Vector[SiteA] >= a.Vector[SiteA],
            $"B's vector for {SiteA} is {b.Vector[SiteA]}, A's is {a.Vector[SiteA]}");

        return new Measurement(rowCount, batches.Count, wire.Sum(w => (long)w.Length), sealMs, extractMs, encodeMs, decodeMs, applyMs);
    }

    /// <summary>
    /// A full collection before each timed phase, so a phase pays for the collections its own allocations cause and not
    /// for the garbage of the phases before it. Without it, decode (one call that allocates about 10 MB for 20,000
    /// changes) took 9–18 ms in runs where no collection fell inside it and 50–180 ms where one did, and where one fell
    /// depended on how much the earlier phases had allocated (docs/benchmarks.md, "merge decode_ms").
    /// </summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
