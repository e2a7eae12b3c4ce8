using System.Diagnostics;
using EdgeSync.Bench.Internal;
using EdgeSync.Protocol;
using EdgeSync.Schema;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Bench.Scenarios;

/// <summary>
/// Issue 13's cost targets, engine to engine in one process (no network): A and B hold the same large <c>lww</c> table
/// (built in one transaction, captured, pulled by B untimed). Each run, the application on both adds a column; A's
/// application writes it on one row; the capture that takes the change is measured for metadata, and the round that
/// ships the value to B is timed. Then a second pair of tables of a tenth of the size is rebuilt with SQLite's
/// procedure (new table with one more column, copy, drop, rename) on both; the capture after it and the rows the next
/// round sends are measured on A (rows in insert ranges) and on B (every row applied from A, so each has metadata).
/// </summary>
internal static class SchemaScenario
{
    public static SchemaReport Run(int rows, int runs)
    {
        BenchmarkFailedException.Check(rows >= 10_000, "--rows must be at least 10000");
        int rebuildRows = rows / 10;
        var (a, b, appA, appB, files, build) = Pair("schema", rows);
        var metaBytes = new List<double>();
        var metaRows = new List<double>();
        var firstValue = new List<double>();
        try
        {
            for (int run = 0; run < runs; run++)
            {
                var (bytesBefore, rowsBefore) = Metadata(appA);
                string column = $"c{run}";
                Workload.Exec(appA, $"ALTER TABLE t ADD COLUMN {column} TEXT");
                Workload.Exec(appB, $"ALTER TABLE t ADD COLUMN {column} TEXT");
                a.Capture();
                b.Capture();
                var (bytesAfter, rowsAfter) = Metadata(appA);
                metaBytes.Add(bytesAfter - bytesBefore);
                metaRows.Add(rowsAfter - rowsBefore);

                long id = 1 + ((run * 7919L) % rows);
                Workload.Exec(appA, $"UPDATE t SET {column} = 'first-{run}' WHERE id = {id}");
                var clock = Stopwatch.StartNew();
                Ship(a, b, expected: 1);
                firstValue.Add(clock.Elapsed.TotalSeconds);
                BenchmarkFailedException.Check(Text(appB, $"SELECT {column} FROM t WHERE id = {id}") == $"first-{run}", "B does not hold the new value");
                Report.Progress($"schema add column {run + 1}/{runs}: +{bytesAfter - bytesBefore} metadata bytes, +{rowsAfter - rowsBefore} metadata rows, "
                    + $"first value at B in {firstValue[^1] * 1000:N1} ms");
            }

            BenchmarkFailedException.Check(a.Checksum() == b.Checksum(), "A and B differ after the added columns");
        }
        finally
        {
            Dispose(a, b, appA, appB, files);
        }

        var (ra, rb, rappA, rappB, rfiles, _) = Pair("rebuild", rebuildRows);
        var resume = new List<double>();
        var resent = new List<double>();
        var resumeKeyed = new List<double>();
        var resentKeyed = new List<double>();
        var appSeconds = new List<double>();
        try
        {
            for (int run = 0; run < runs; run++)
            {
                var clock = Stopwatch.StartNew();
                Rebuild(rappA, run);
                appSeconds.Add(clock.Elapsed.TotalSeconds);
                Rebuild(rappB, run);
                clock.Restart();
                ra.Capture();
                resume.Add(clock.Elapsed.TotalSeconds);
                clock.Restart();
                rb.Capture();
                resumeKeyed.Add(clock.Elapsed.TotalSeconds);
                long sent = ra.GetChanges(rb.Vector).Sum(x => (long)x.RowCount);
                resent.Add(sent);
                long sentBack = rb.GetChanges(ra.Vector).Sum(x => (long)x.RowCount);
                resentKeyed.Add(sentBack);
                Workload.Exec(rappA, $"UPDATE t SET value = -1 WHERE id = {1 + run}");
                Ship(ra, rb, expected: 1); // capture works again: the next write ships
                Report.Progress($"schema rebuild {run + 1}/{runs}: {rebuildRows:N0} rows copied by the app in {appSeconds[^1]:N2} s; "
                    + $"capture resumed in {resume[^1]:N2} s; {sent} rows re-sent; on B (per-row metadata) {resumeKeyed[^1]:N2} s, {sentBack} re-sent");
            }

            BenchmarkFailedException.Check(ra.Checksum() == rb.Checksum(), "A and B differ after the rebuilds");
        }
        finally
        {
            Dispose(ra, rb, rappA, rappB, rfiles);
        }

        return new SchemaReport("schema", rows, runs, (long)Stats.Median(metaBytes), (long)Stats.Median(metaRows),
            Math.Round(Stats.Median(firstValue), 4), rebuildRows, Math.Round(Stats.Median(resume), 3), (long)Stats.Median(resent),
            Math.Round(Stats.Median(resumeKeyed), 3), (long)Stats.Median(resentKeyed),
            Math.Round(Stats.Median(appSeconds), 3), Math.Round(build, 1));
    }

    private static (SyncDatabase A, SyncDatabase B, SqliteConnection AppA, SqliteConnection AppB, TempDatabase[] Files, double BuildSeconds) Pair(string name, int rows)
    {
        var fileA = new TempDatabase($"{name}-a");
        var fileB = new TempDatabase($"{name}-b");
        Replica.Create(fileA.Path, SyncRun.SiteA, TablePolicy.Lww);
        Replica.Create(fileB.Path, SyncRun.SiteB, TablePolicy.Lww);
        var a = SyncDatabase.Open(fileA.Path);
        var b = SyncDatabase.Open(fileB.Path);
        var appA = Workload.OpenApp(fileA.Path);
        var appB = Workload.OpenApp(fileB.Path);
        var clock = Stopwatch.StartNew();
        GrowthScenario.InsertOneTransaction(appA, rows);
        a.Capture();
        long pulled = a.GetChanges(b.Vector).Sum(batch => (long)b.Apply(batch, SyncRun.SiteA).Applied);
        BenchmarkFailedException.Check(pulled == rows, $"B applied {pulled} of {rows} rows in the initial sync");
        Report.Progress($"schema: {name} pair of {rows:N0} rows built and synced in {clock.Elapsed.TotalSeconds:N1} s");
        return (a, b, appA, appB, [fileA, fileB], clock.Elapsed.TotalSeconds);
    }

    private static void Ship(SyncDatabase a, SyncDatabase b, int expected)
    {
        a.Capture();
        int applied = 0;
        foreach (var batch in a.GetChanges(b.Vector))
        {
            applied += b.Apply(BatchCodec.Decode(BatchCodec.Encode(batch)), SyncRun.SiteA).Applied;
        }

        BenchmarkFailedException.Check(applied == expected, $"B applied {applied} row changes, expected {expected}");
    }

    private static void Rebuild(SqliteConnection app, int run)
    {
        var columns = string.Join(", ", Enumerable.Range(0, run).Select(i => $"r{i} TEXT"));
        var copied = string.Join("", Enumerable.Range(0, run).Select(i => $", r{i}"));
        Workload.Exec(app, "BEGIN; "
            + $"CREATE TABLE t_new(id INTEGER PRIMARY KEY, device TEXT, ts INTEGER, value REAL{(run > 0 ? ", " + columns : "")}, r{run} TEXT); "
            + $"INSERT INTO t_new(id, device, ts, value{copied}) SELECT id, device, ts, value{copied} FROM t; "
            + "DROP TABLE t; ALTER TABLE t_new RENAME TO t; COMMIT;");
    }

    /// <summary>Bytes of the contents of EdgeSync's own row, log and table records, and their row count.</summary>
    private static (long Bytes, long Rows) Metadata(SqliteConnection app)
    {
        long bytes = Workload.Scalar(app, "SELECT coalesce(sum(length(pk) + length(clocks) + coalesce(length(sums), 0) + 16), 0) FROM _edgesync_rows")
            + Workload.Scalar(app, "SELECT count(*) * 40 FROM _edgesync_log")
            + Workload.Scalar(app, "SELECT coalesce(sum(length(columns) + length(coalesce(types, '')) + length(coalesce(shape, '')) + 32), 0) FROM _edgesync_tables")
            + Workload.Scalar(app, "SELECT coalesce(sum(length(coalesce(value, '')) + 48), 0) FROM _edgesync_stash");
        long rows = Workload.Scalar(app, "SELECT (SELECT count(*) FROM _edgesync_rows) + (SELECT count(*) FROM _edgesync_log)");
        return (bytes, rows);
    }

    private static string? Text(SqliteConnection app, string sql)
    {
        using var cmd = app.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() as string;
    }

    private static void Dispose(SyncDatabase a, SyncDatabase b, SqliteConnection appA, SqliteConnection appB, TempDatabase[] files)
    {
        a.Dispose();
        b.Dispose();
        appA.Dispose();
        appB.Dispose();
        foreach (var f in files)
        {
            f.Dispose();
        }
    }
}
