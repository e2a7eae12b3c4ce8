using System.Diagnostics;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// Simulated telemetry: every factory replica posts the rows that fell due to its agent's ingest API every
/// <see cref="DemoOptions.IngestInterval"/>, so that the fleet together ingests <see cref="DemoOptions.RowsPerSecond"/>
/// for <see cref="DemoOptions.Duration"/>. Ids are unique across the fleet (see <see cref="SiteDatabase.IdsPerFactory"/>).
/// </summary>
internal sealed class TelemetryFeed(DemoFleet fleet, DemoOptions options, IngestClient client)
{
    private readonly long[] _written = new long[fleet.FactoryReplicas.Count];

    /// <summary>Rows committed so far, fleet-wide.</summary>
    public long Written => Enumerable.Range(0, _written.Length).Sum(i => Interlocked.Read(ref _written[i]));

    /// <summary>Rows committed so far by the replicas of <paramref name="factory"/> (1-based).</summary>
    public long WrittenBy(int factory) =>
        Enumerable.Range((factory - 1) * options.Replicas, options.Replicas).Sum(i => Interlocked.Read(ref _written[i]));

    /// <summary>Ingests until <see cref="DemoOptions.Duration"/> after <paramref name="start"/>; a request in flight is never abandoned.</summary>
    public Task RunAsync(long start, CancellationToken cancellationToken) =>
        Task.WhenAll(fleet.FactoryReplicas.Select((site, i) => RunReplicaAsync(site, i, start, cancellationToken)));

    private async Task RunReplicaAsync(DemoSite site, int slot, long start, CancellationToken cancellationToken)
    {
        double rowsPerSecond = (double)options.RowsPerSecond / options.FactoryReplicas;
        long maxPerRequest = Math.Max(1, (long)(rowsPerSecond * 2)); // after a stall, catch up over a few requests
        long firstId = (site.Factory * SiteDatabase.IdsPerFactory) + (site.Replica * SiteDatabase.IdsPerReplica);
        var random = new Random(slot); // demo data, not security: repeatable values per replica
        for (var next = options.IngestInterval; ; next += options.IngestInterval)
        {
            bool last = next >= options.Duration;
            var due = last ? options.Duration : next;
            var wait = due - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            long written = _written[slot];
            long count = Math.Min((long)(due.TotalSeconds * rowsPerSecond) - written, maxPerRequest);
            if (count > 0 && await client.PostAsync(site.HttpUrl, "telemetry", w => WriteRows(w, site, firstId + written, count, random), cancellationToken))
            {
                Interlocked.Add(ref _written[slot], count);
            }

            if (last)
            {
                return;
            }
        }
    }

    private static void WriteRows(System.Text.Json.Utf8JsonWriter w, DemoSite site, long firstId, long count, Random random)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (long i = 0; i < count; i++)
        {
            long id = firstId + i + 1;
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("device", $"sensor-{site.Replica}-{id % 8}");
            w.WriteNumber("ts", now);
            w.WriteNumber("value", Math.Round(20 + (random.NextDouble() * 10), 3));
            w.WriteEndObject();
        }
    }
}
