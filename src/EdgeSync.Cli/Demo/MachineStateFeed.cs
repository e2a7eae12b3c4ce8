using System.Diagnostics;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// Concurrent <c>lww</c> writes: every <see cref="DemoOptions.MachineStateInterval"/>, all replicas of a factory set
/// the same machine's state at the same moment, each to a different value, through their agents' ingest API. Each
/// replica commits before it hears of the others' writes, so the agents meet concurrent versions and resolve them
/// (last writer wins per column, every decision in the conflict audit).
/// </summary>
internal sealed class MachineStateFeed(DemoFleet fleet, DemoOptions options, IngestClient client)
{
    private const int MachinesPerFactory = 4;

    private static readonly string[] States = ["running", "idle", "setup", "maintenance", "fault"];

    private long _updates;

    /// <summary>Rows committed so far, fleet-wide (one per replica and tick).</summary>
    public long Updates => Interlocked.Read(ref _updates);

    /// <summary>Writes until <see cref="DemoOptions.Duration"/> after <paramref name="start"/>.</summary>
    public async Task RunAsync(long start, CancellationToken cancellationToken)
    {
        for (int tick = 1; options.MachineStateInterval * tick < options.Duration; tick++)
        {
            var wait = (options.MachineStateInterval * tick) - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            int t = tick;
            await Task.WhenAll(fleet.FactoryReplicas.Select(site => WriteAsync(site, t, cancellationToken)));
        }
    }

    /// <summary>The machine a factory's replicas fight over at <paramref name="tick"/> (machines are the factory's own).</summary>
    public static string MachineAt(int factory, int tick) => $"{DemoSite.FactoryName(factory)}/press-{(tick % MachinesPerFactory) + 1}";

    private async Task WriteAsync(DemoSite site, int tick, CancellationToken cancellationToken)
    {
        string machine = MachineAt(site.Factory, tick);
        string state = States[(tick + site.Replica) % States.Length];
        if (await client.PostAsync(site.HttpUrl, "machine_state", w =>
        {
            w.WriteStartObject();
            w.WriteString("machine", machine);
            w.WriteString("state", state);
            w.WriteString("updated_by", site.Site);
            w.WriteEndObject();
        }, cancellationToken))
        {
            Interlocked.Increment(ref _updates);
        }
    }
}
