using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace EdgeSync.Cli.Demo;

/// <summary>
/// HQ's configuration change: written at HQ through its agent's ingest API at <see cref="DemoOptions.ConfigPushAt"/>,
/// then every factory replica's database is polled until all hold it. The propagation time runs from just before the
/// write was sent (so it is never understated) to the moment the last factory replica was seen holding it.
/// </summary>
internal sealed class ConfigPush(DemoFleet fleet, DemoOptions options, IngestClient client)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    private readonly List<(TimeSpan At, bool Gateway)> _arrivals = [];
    private long _pushedAt = -1;
    private long _writtenAt = -1;
    private long _propagatedAt = -1;
    private int _reached;

    /// <summary>When the change was sent, since the start of the demo; null before.</summary>
    public TimeSpan? PushedAt => Since(Interlocked.Read(ref _pushedAt));

    /// <summary>How long the change took to reach every factory replica; null until it has.</summary>
    public TimeSpan? Propagation =>
        Interlocked.Read(ref _propagatedAt) is >= 0 and var done ? TimeSpan.FromTicks(done - Interlocked.Read(ref _pushedAt)) : null;

    /// <summary>How long HQ's ingest call took to write the change (part of every arrival time); null before it has.</summary>
    public TimeSpan? Written =>
        Interlocked.Read(ref _writtenAt) is >= 0 and var done ? TimeSpan.FromTicks(done - Interlocked.Read(ref _pushedAt)) : null;

    /// <summary>Factory replicas holding the change so far.</summary>
    public int Reached => Volatile.Read(ref _reached);

    /// <summary>
    /// The <paramref name="percentile"/> (0–100, nearest rank) of the times the change took to reach each factory replica
    /// that holds it (with <paramref name="gateway"/>, only the factories' gateways to HQ, or only the replicas behind
    /// them); null before any does.
    /// </summary>
    public TimeSpan? Arrival(double percentile, bool? gateway = null)
    {
        lock (_arrivals)
        {
            var sorted = _arrivals.Where(a => gateway is null || a.Gateway == gateway).Select(a => a.At).Order().ToList();
            if (sorted.Count == 0)
            {
                return null;
            }

            return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
        }
    }

    /// <summary>Pushes at the set time after <paramref name="start"/>, then waits until every factory replica holds the change (or cancelled).</summary>
    public async Task RunAsync(long start, CancellationToken cancellationToken)
    {
        var (key, value) = FleetSchema.PushedConfig;

        // One prepared query per replica file, opened before the change is sent (opening 150 files is not part of its
        // propagation) and stepped again at each poll: preparing 150 statements every 10 ms cost the fleet it
        // measures a noticeable share of this machine's CPU.
        var waiting = fleet.FactoryReplicas
            .Select(site => (Query: SiteDatabase.ConfigQuery(SiteDatabase.Open(site.Path), key), Gateway: site.Replica == 0))
            .ToList();
        try
        {
            var wait = options.ConfigPushAt - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            long sent = Stopwatch.GetElapsedTime(start).Ticks;
            while (!await client.PostAsync(fleet.Hub.HttpUrl, "config", w =>
            {
                w.WriteStartObject();
                w.WriteString("key", key);
                w.WriteString("value", value);
                w.WriteString("updated_by", fleet.Hub.Site);
                w.WriteEndObject();
            }, cancellationToken))
            {
                await Task.Delay(Poll, cancellationToken); // HQ's database was busy: nothing written, send again
                sent = Stopwatch.GetElapsedTime(start).Ticks;
            }

            Interlocked.Exchange(ref _pushedAt, sent);
            Interlocked.Exchange(ref _writtenAt, Stopwatch.GetElapsedTime(start).Ticks);

            // Polled on a thread of its own: the fleet's agents share this process's thread pool, and on a loaded machine
            // a pool continuation after each 10 ms pause waited seconds for a thread, so arrivals were seen seconds late.
            await Task.Factory.StartNew(() => WaitUntilEverywhere(start, value, waiting, cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        finally
        {
            foreach (var (query, _) in waiting)
            {
                Close(query);
            }
        }
    }

    private void WaitUntilEverywhere(long start, string value, List<(SqliteCommand Query, bool Gateway)> waiting, CancellationToken cancellationToken)
    {
        while (waiting.Count > 0)
        {
            var arrived = waiting.Where(w => w.Query.ExecuteScalar() as string == value).ToList();
            var at = TimeSpan.FromTicks(Stopwatch.GetElapsedTime(start).Ticks - Interlocked.Read(ref _pushedAt));
            foreach (var w in arrived)
            {
                lock (_arrivals)
                {
                    _arrivals.Add((at, w.Gateway));
                }

                waiting.Remove(w);
                Close(w.Query);
                Interlocked.Increment(ref _reached);
            }

            if (waiting.Count > 0 && cancellationToken.WaitHandle.WaitOne(Poll))
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        Interlocked.Exchange(ref _propagatedAt, Stopwatch.GetElapsedTime(start).Ticks);
    }

    private static void Close(SqliteCommand query)
    {
        var connection = query.Connection;
        query.Dispose();
        connection?.Dispose();
    }

    private static TimeSpan? Since(long ticks) => ticks >= 0 ? TimeSpan.FromTicks(ticks) : null;
}
