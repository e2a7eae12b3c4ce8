using System.Diagnostics;
using EdgeSync.Fault.Tests.Support;

namespace EdgeSync.Fault.Tests;

/// <summary>
/// LWW traffic from the <c>sqlite3</c> shell as the application — inserts, updates and deletes, the same keys written
/// concurrently on every replica — while one agent is frozen with <c>SIGSTOP</c> and HQ receives nothing from one
/// replica (a one-way partition: its own packets still leave). After the faults heal every replica must hold the same
/// rows in every column. The time to converge is printed; only a fleet still apart after <see cref="GiveUpAfter"/> fails.
/// </summary>
public sealed class LwwFaultTests : IAsyncDisposable
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(90);
    private TempDir? _dir;
    private EdgeFleet? _fleet;
    private bool _passed;

    public async ValueTask DisposeAsync()
    {
        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }

        if (!_passed)
        {
            _dir?.Keep();
        }

        _dir?.Dispose();
    }

    [Fact(Timeout = 240_000)]
    public async Task LwwWritesFromTheShell_UnderSigstopAndOneWayPartition_EveryColumnConverges()
    {
        Assert.SkipWhen(FaultPrerequisites.MissingReason is not null, FaultPrerequisites.MissingReason ?? "");
        Assert.SkipWhen(Shell.Which("sqlite3") is null, "needs the sqlite3 shell (apt-get install sqlite3)");
        var ct = TestContext.Current.CancellationToken;
        var fleet = _fleet = await EdgeFleet.StartAsync(_dir = new TempDir(), factory1Replicas: 2, factory2Replicas: 0, telemetryUp: false,
            wanLatency: TimeSpan.Zero, wanJitter: TimeSpan.Zero, ct);
        var (hq, a, b) = (fleet.Hq, fleet.Factory(1)[0], fleet.Factory(1)[1]);
        var rng = new Random(15);

        Write(fleet, rng, rounds: 5);
        b.Agent.Signal("STOP"); // b's agent freezes mid-whatever; its application keeps writing
        Write(fleet, rng, rounds: 10, paused: b);
        hq.Node.Ns.AddInboundDropRule("oneway_a", [a.Node.Address]); // HQ hears nothing from a; what HQ sends still reaches a
        Write(fleet, rng, rounds: 10, paused: b);
        b.Agent.Signal("CONT");
        Write(fleet, rng, rounds: 10);
        hq.Node.Ns.RemoveDropRule("oneway_a");
        Write(fleet, rng, rounds: 5);

        var clock = Stopwatch.StartNew();
        string[] dumps = [];
        while (clock.Elapsed < GiveUpAfter)
        {
            dumps = fleet.Sites.Select(s => Dump(s.DbPath)).ToArray();
            if (dumps.Distinct().Count() == 1)
            {
                break;
            }

            await Task.Delay(500, ct);
        }

        TestContext.Current.SendDiagnosticMessage($"converged {clock.Elapsed.TotalSeconds:0.0} s after the last fault healed");
        Assert.True(dumps.Distinct().Count() == 1,
            $"replicas still differ {GiveUpAfter.TotalSeconds} s after the faults healed:\n"
            + string.Join("\n", fleet.Sites.Select((s, i) => $"--- {s.Site}:\n{dumps[i]}")) + "\n" + fleet.Tails(20));
        Assert.Contains("|", dumps[0], StringComparison.Ordinal); // some rows survived the deletes
        _passed = true;
    }

    /// <summary>
    /// Each round, every replica's application writes one of 8 keys (upsert, update of one column, or delete) through
    /// the shell. An agent frozen inside a transaction still holds SQLite's write lock, so its replica's application
    /// gets "database is locked" (after the shell's timeout, 1 s there) until the agent runs again: SQLite has one writer.
    /// Such a write is the application's to retry; it is skipped here, only on the <paramref name="paused"/> replica.
    /// </summary>
    private static void Write(EdgeFleet fleet, Random rng, int rounds, EdgeSite? paused = null)
    {
        for (int round = 0; round < rounds; round++)
        {
            foreach (var site in fleet.Sites)
            {
                string key = "k" + rng.Next(8);
                string sql = rng.Next(6) switch
                {
                    0 => $"DELETE FROM config WHERE key = '{key}';",
                    1 => $"UPDATE config SET updated_by = '{site.Site}' WHERE key = '{key}';",
                    _ => $"INSERT INTO config(key, value, updated_by) VALUES ('{key}', 'v{rng.Next(1000)}', '{site.Site}') "
                        + "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by;",
                };
                try
                {
                    Shell.Run("sqlite3", "-cmd", site == paused ? ".timeout 1000" : ".timeout 10000", site.DbPath, sql);
                }
                catch (InvalidOperationException e) when (site == paused && e.Message.Contains("database is locked", StringComparison.Ordinal))
                {
                    TestContext.Current.SendDiagnosticMessage($"{site.Site}: write refused while its agent is stopped holding the write lock");
                }
            }
        }
    }

    /// <summary>Every column of every row of the LWW table, as the application reads it.</summary>
    private static string Dump(string db) =>
        Shell.Run("sqlite3", "-cmd", ".timeout 10000", db, "SELECT key, value, updated_by FROM config ORDER BY key;");
}
