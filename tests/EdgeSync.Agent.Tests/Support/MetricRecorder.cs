using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeSync.Diagnostics;

namespace EdgeSync.Agent.Tests.Support;

/// <summary>Sums the measurements of one EdgeSync counter whose tags match, in this process (tests give each agent a unique site).</summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public MetricRecorder(string instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == EdgeSyncMetrics.MeterName && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string site = "", peer = "";
            foreach (var t in tags)
            {
                if (t.Key == "site")
                {
                    site = t.Value as string ?? "";
                }
                else if (t.Key == "peer")
                {
                    peer = t.Value as string ?? "";
                }
            }

            _sums.AddOrUpdate($"{site}>{peer}", value, (_, v) => v + value);
        });
        _listener.Start();
    }

    /// <summary>The sum for measurements tagged with this site (and peer, when given).</summary>
    public long Sum(string site, string? peer = null) =>
        _sums.Where(kv => kv.Key.StartsWith(site + ">", StringComparison.Ordinal) && (peer is null || kv.Key == $"{site}>{peer}")).Sum(kv => kv.Value);

    public void Dispose() => _listener.Dispose();
}
