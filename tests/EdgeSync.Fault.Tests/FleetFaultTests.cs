using System.Diagnostics;
using EdgeSync.Fault.Tests.Support;

namespace EdgeSync.Fault.Tests;

/// <summary>
/// Real agents (separate <c>edgesync serve</c> processes), each in its own network namespace, under real network faults
/// while devices keep writing through the ingest API: packet loss on a factory↔HQ link, a partitioned replica, a
/// factory partitioned from HQ, <c>kill -9</c> of agents mid-batch, then all of it at once. After the last heal every
/// acknowledged row must be everywhere it belongs, once, with identical checksums. The time it took is printed (a
/// figure, not a pass mark: timing bounds flake on a shared machine); only a fleet that has not converged after
/// <see cref="GiveUpAfter"/> fails, as not converging at all.
/// </summary>
public sealed class FleetFaultTests : IAsyncDisposable
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(90);

    private TempDir? _dir; // created only once a test knows it can run (a skipped test touches nothing)
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<IngestWriter> _writers = [];
    private EdgeFleet? _fleet;
    private bool _passed;

    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers)
        {
            await writer.DisposeAsync();
        }

        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }

        if (!_passed && _dir is not null)
        {
            _dir.Keep();
            Log($"kept databases and agent logs for inspection: {_dir.Path}");
        }

        _dir?.Dispose();
    }

    [Fact(Timeout = 180_000)]
    public async Task Fleet_UnderLossPartitionsAndKill9_LosesNoAcknowledgedRow_AndConverges()
    {
        Assert.SkipWhen(FaultPrerequisites.MissingReason is not null, FaultPrerequisites.MissingReason ?? "");
        var ct = TestContext.Current.CancellationToken;

        var fleet = _fleet = await EdgeFleet.StartAsync(_dir = new TempDir(), factory1Replicas: 3, factory2Replicas: 2, telemetryUp: false,
            wanLatency: TimeSpan.FromMilliseconds(25), wanJitter: TimeSpan.FromMilliseconds(15), ct);
        Log($"fleet up: {string.Join(", ", fleet.Sites.Select(s => $"{s.Site}@{s.Node.Address}"))}; factory 2 reaches HQ through a 25±15 ms delay proxy");
        var hq = fleet.Hq;
        var f1 = fleet.Factory(1);
        var f2 = fleet.Factory(2);
        foreach (var site in f1.Concat(f2))
        {
            StartWriter(site);
        }

        await Phase("warm-up, no faults", TimeSpan.FromSeconds(3), ct);

        hq.Node.Ns.AddDropRule("loss_f1", Addresses(f1), percent: 20);
        await Phase("20% packet loss on the factory 1 <-> HQ link", TimeSpan.FromSeconds(10), ct);
        hq.Node.Ns.RemoveDropRule("loss_f1");

        fleet.Network.Cut(f1[2].Node);
        await Phase($"{f1[2]} partitioned (link down), still ingesting locally", TimeSpan.FromSeconds(8), ct);
        fleet.Network.Heal(f1[2].Node);

        hq.Node.Ns.AddDropRule("part_f2", Addresses(f2), percent: 100);
        await Phase("factory 2 partitioned from HQ (its replicas still see each other)", TimeSpan.FromSeconds(8), ct);
        hq.Node.Ns.RemoveDropRule("part_f2");

        await Kill9MidBatchAsync(f1[1], ct);
        await Phase($"{f1[1]} down after kill -9", TimeSpan.FromSeconds(2), ct);
        await f1[1].Agent.StartAsync(ct);
        Log($"{f1[1]} restarted on the same addresses");

        // Everything at once.
        hq.Node.Ns.AddDropRule("loss_f1", Addresses(f1), percent: 20);
        fleet.Network.Cut(f1[2].Node);
        hq.Node.Ns.AddDropRule("part_f2", Addresses(f2), percent: 100);
        await Phase($"all at once: 20% loss F1<->HQ, {f1[2]} cut, factory 2 partitioned from HQ", TimeSpan.FromSeconds(4), ct);
        await Kill9MidBatchAsync(f2[0], ct);
        hq.Agent.Kill();
        Log("kill -9 of HQ while factory 1 pushes to it");
        await Phase($"all at once, HQ and {f2[0]} down", TimeSpan.FromSeconds(3), ct);
        await Task.WhenAll(hq.Agent.StartAsync(ct), f2[0].Agent.StartAsync(ct));
        Log($"HQ and {f2[0]} restarted on the same addresses (faults still on)");
        await Phase("all at once, after the restarts", TimeSpan.FromSeconds(6), ct);

        // Devices stop writing (so there is a final state to agree on), then every fault heals at once.
        await StopWritersAsync();
        hq.Node.Ns.RemoveDropRule("loss_f1");
        hq.Node.Ns.RemoveDropRule("part_f2");
        fleet.Network.Heal(f1[2].Node);
        var healed = Stopwatch.StartNew();
        Log("healed everything");

        await AssertConvergesAsync(fleet, healed, ct);
    }

    /// <summary>
    /// The hub-and-factory layout the agent README documents, with telemetry flowing <c>up</c>: a factory replica that
    /// cannot reach its sibling but can reach HQ must still get the sibling's rows once the two see each other again.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task UpTelemetry_ReplicaCutFromItsSiblingButNotFromHq_GetsTheSiblingsRowsAfterHeal()
    {
        Assert.SkipWhen(FaultPrerequisites.MissingReason is not null, FaultPrerequisites.MissingReason ?? "");
        var ct = TestContext.Current.CancellationToken;

        var fleet = _fleet = await EdgeFleet.StartAsync(_dir = new TempDir(), factory1Replicas: 2, factory2Replicas: 0, telemetryUp: true,
            wanLatency: TimeSpan.Zero, wanJitter: TimeSpan.Zero, ct);
        var (a, b) = (fleet.Factory(1)[0], fleet.Factory(1)[1]);
        b.Node.Ns.AddDropRule("cut_sibling", [a.Node.Address], percent: 100);
        Log($"{b} cannot reach {a}; both reach HQ");

        var writer = StartWriter(a);
        await Phase($"devices write through {a}", TimeSpan.FromSeconds(3), ct);
        await StopWritersAsync();
        var acked = writer.Acked.ToHashSet();
        Log($"{acked.Count} rows acknowledged by {a}");
        var deadline = Stopwatch.StartNew();
        while (ReplicaDatabase.Summarize(fleet.Hq.DbPath).GetValueOrDefault(1).Count < acked.Count && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100, ct);
        }

        Log($"HQ holds {ReplicaDatabase.Summarize(fleet.Hq.DbPath).GetValueOrDefault(1).Count} rows of factory 1 after {deadline.Elapsed.TotalSeconds:0.0} s");
        await Phase($"{b} keeps syncing with HQ (which withholds telemetry from factories)", TimeSpan.FromSeconds(3), ct);

        b.Node.Ns.RemoveDropRule("cut_sibling");
        var healed = Stopwatch.StartNew();
        Log($"healed {a} <-> {b}");
        await AssertConvergesAsync(fleet, healed, ct);
    }

    private IngestWriter StartWriter(EdgeSite site)
    {
        long firstId = site.Factory * ReplicaDatabase.FactoryIdSpan + site.Replica * 100_000_000L + 1;
        var writer = new IngestWriter(site.Site, site.Http, $"http://127.0.0.1:{EdgeFleet.HttpPort}", firstId,
            batchRows: 25, pause: TimeSpan.FromMilliseconds(100), seed: (int)(firstId % 1000));
        _writers.Add(writer);
        writer.Start();
        return writer;
    }

    private async Task StopWritersAsync()
    {
        foreach (var writer in _writers)
        {
            await writer.StopAsync();
            Log($"writer {writer.Device}: {writer.Acked.Count} rows acknowledged, {writer.Failed} requests not acknowledged (agent down or cut mid-request)");
        }
    }

    /// <summary>Polls the database files until the fleet agrees (bounded), prints the time it took, then checks every acknowledged id.</summary>
    private async Task AssertConvergesAsync(EdgeFleet fleet, Stopwatch healed, CancellationToken ct)
    {
        var acked = new Dictionary<int, HashSet<long>>();
        foreach (var factory in fleet.Sites.Where(s => !s.IsHq).Select(s => s.Factory).Distinct())
        {
            acked[factory] = _writers.Where(w => w.FirstId / ReplicaDatabase.FactoryIdSpan == factory).SelectMany(w => w.Acked).ToHashSet();
        }

        FleetReport report;
        TimeSpan? convergedAt = null;
        var lastChange = new Dictionary<EdgeSite, (string Summary, TimeSpan At)>();
        while (true)
        {
            report = FleetCheck.Check(fleet, acked, verifyIds: false);
            foreach (var site in fleet.Sites)
            {
                string line = report.Summaries.Split('\n').First(l => l.StartsWith(site.Site + ":", StringComparison.Ordinal));
                if (!lastChange.TryGetValue(site, out var seen) || seen.Summary != line)
                {
                    lastChange[site] = (line, healed.Elapsed);
                }
            }

            if (report.Converged)
            {
                convergedAt = healed.Elapsed;
                break;
            }

            if (healed.Elapsed > GiveUpAfter)
            {
                break;
            }

            await Task.Delay(100, ct);
        }

        Assert.True(convergedAt is not null, $"not converged {GiveUpAfter.TotalSeconds} s after the last heal:\n{report}\n{fleet.Tails(20)}");
        Log($"TIME TO CONVERGE after the last heal: {convergedAt.Value.TotalSeconds:0.00} s ("
            + string.Join(" + ", acked.Select(kv => $"{kv.Value.Count} rows of factory {kv.Key}")) + $" acknowledged; "
            + $"delay proxy forwarded {fleet.Proxies.Sum(p => p.BytesForwarded):N0} bytes)");
        Log("last change after the heal: " + string.Join(", ", lastChange.Select(kv => $"{kv.Key} {kv.Value.At.TotalSeconds:0.0} s")));
        Log(report.Summaries.TrimEnd());

        // Every acknowledged id, one by one, on every replica that must hold it.
        var final = FleetCheck.Check(fleet, acked, verifyIds: true);
        Assert.True(final.Converged, final.ToString());
        _passed = true;
    }

    /// <summary>Has the device send a big batch and SIGKILLs the agent while it takes that batch in.</summary>
    private async Task Kill9MidBatchAsync(EdgeSite site, CancellationToken ct)
    {
        var writer = _writers.Single(w => w.Device == site.Site);
        var (started, acknowledged) = writer.SendBigBatch(5_000);
        await started.WaitAsync(TimeSpan.FromSeconds(5), ct);
        await Task.Delay(15, ct);
        site.Agent.Kill();
        bool ok = await acknowledged.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Log($"kill -9 {site} with a 5,000-row ingest batch in flight: the batch was {(ok ? "acknowledged just before" : "not acknowledged")}");
    }

    private static string[] Addresses(IEnumerable<EdgeSite> sites) => sites.Select(s => s.Node.Address).ToArray();

    private async Task Phase(string what, TimeSpan duration, CancellationToken ct)
    {
        Log($"{what} for {duration.TotalSeconds:0} s");
        await Task.Delay(duration, ct);
    }

    private void Log(string message) =>
        TestContext.Current.TestOutputHelper?.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}");
}
